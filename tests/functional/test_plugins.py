"""The plugin manager: discovery by entry point, enabling by setting, start-up errors."""

from __future__ import annotations

import logging

import pytest
import webtest
from pyramid.exceptions import ConfigurationError

from access_platform import main
from access_platform.guardrails import GroupChange, check_group_change
from access_platform.plugins import create_plugin_manager, describe_installed, enabled_plugin_names
from access_platform.rbac.models import WORKSPACE_MEMBER_ROLE_ID
from access_platform.testing import Factory

BUILTINS = {
    "builtin-session",
    "builtin-api-key",
    "builtin-scim-token",
    "builtin-guardrails",
    "builtin-scim-schemas",
    "builtin-permissions",
    "builtin-invitation-log",
    "builtin-audit-log",
}


class FakeGroup:
    def __init__(self, display_name="staff", source="local", membership_mode="assigned"):
        self.id = "group-1"
        self.display_name = display_name
        self.source = source
        self.membership_mode = membership_mode
        self.external_id = None


def change_for(group) -> GroupChange:
    return GroupChange(group=group, relation="members", action="add", target_id="user-1")


def test_builtins_are_enabled_without_settings():
    manager = create_plugin_manager(())
    assert set(enabled_plugin_names(manager)) == BUILTINS


def test_installed_plugin_is_not_enabled_until_named(sample_plugins_installed):
    installed = {plugin.name for plugin in describe_installed()}
    assert {"sample", "misspelled", "broken"} <= installed

    manager = create_plugin_manager(())

    assert "sample" not in enabled_plugin_names(manager)


def test_unknown_plugin_name_stops_start_up(app_settings):
    settings = {**app_settings, "access_platform.plugins": "no-such-plugin"}

    with pytest.raises(ConfigurationError, match="no-such-plugin"):
        main({}, **settings)


def test_plugin_that_fails_to_import_stops_start_up(app_settings, sample_plugins_installed):
    settings = {**app_settings, "access_platform.plugins": "broken"}

    with pytest.raises(ConfigurationError, match="'broken'.*failed to load"):
        main({}, **settings)


def test_misspelled_hook_stops_start_up(app_settings, sample_plugins_installed):
    settings = {**app_settings, "access_platform.plugins": "misspelled"}

    with pytest.raises(ConfigurationError, match="access_platform_authentcate"):
        main({}, **settings)


def test_hook_argument_mismatch_stops_start_up(app_settings, sample_plugins_installed):
    settings = {**app_settings, "access_platform.plugins": "wrong_argument"}

    with pytest.raises(ConfigurationError, match="(?s)'wrong_argument'.*catalogue"):
        main({}, **settings)


def test_entry_point_naming_a_class_stops_start_up(app_settings, sample_plugins_installed):
    settings = {**app_settings, "access_platform.plugins": "a_class"}

    with pytest.raises(ConfigurationError, match="'a_class'.*is a class"):
        main({}, **settings)


@pytest.mark.parametrize("name", ["batch", "session", "api_key"])
def test_core_setting_group_name_rejected(app_settings, name):
    settings = {**app_settings, "access_platform.plugins": name}

    with pytest.raises(ConfigurationError, match=f"access_platform.{name}"):
        main({}, **settings)


def test_failing_delivery_skips_no_other_plugin(
    app_settings, sample_plugins_installed, factory, caplog
):
    settings = {**app_settings, "access_platform.plugins": "failing_delivery"}
    app = webtest.TestApp(main({}, **settings), extra_environ={"HTTP_HOST": "localhost"})
    admin = Factory(app.app.app.registry).user("delivery-admin@example.com", admin=True)

    workspace = app.post_json("/api/v1/workspaces", {"name": "Delivery"}, headers=admin.headers)
    invitation = {
        "email": "invitee@example.com",
        "workspace_id": workspace.json["id"],
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
    }

    with caplog.at_level(logging.INFO, logger="access_platform"):
        created = app.post_json("/api/v1/invitations", invitation, headers=admin.headers)

    messages = [record.getMessage() for record in caplog.records]
    failures = [message for message in messages if "failed in plugin failing_delivery" in message]
    assert created.status_int == 201
    assert len(failures) == 1
    # The built-in delivery, called after the failing plugin, still logged it.
    assert any(f"invitation {created.json['id']} created" in message for message in messages)


def test_plugin_reads_its_own_settings(plugin_testapp, admin):
    response = plugin_testapp.get("/api/v1/sample-greeting", headers=admin.headers, status=200)
    assert response.json == {"greeting": "hello from the ini file"}


def test_start_up_log_names_every_enabled_plugin(app_settings, sample_plugins_installed, caplog):
    settings = {**app_settings, "access_platform.plugins": "sample"}

    with caplog.at_level(logging.INFO, logger="access_platform.plugins"):
        main({}, **settings)

    lines = [
        record.getMessage() for record in caplog.records if "enabled plugins" in record.getMessage()
    ]
    assert len(lines) == 1
    for name in BUILTINS | {"sample"}:
        assert name in lines[0]


@pytest.mark.parametrize(
    ("group", "vetoed"),
    [
        (FakeGroup(source="idp"), True),
        (FakeGroup(membership_mode="dynamic"), True),
        (FakeGroup(), False),
    ],
)
def test_builtin_guardrails(group, vetoed):
    manager = create_plugin_manager(())

    reason = check_group_change(manager, None, change_for(group))

    assert (reason is not None) is vetoed


def test_idp_guardrail_reason_names_source():
    reason = check_group_change(
        create_plugin_manager(()), None, change_for(FakeGroup(source="idp"))
    )
    assert "source=idp" in reason


def test_plugin_guardrail_can_veto(sample_plugins_installed):
    manager = create_plugin_manager(("sample",))

    reason = check_group_change(manager, None, change_for(FakeGroup(display_name="locked-finance")))

    assert reason == "Sample rule: groups named locked-* are frozen."


def test_manager_lives_on_registry_not_module(registry):
    import access_platform.plugins as plugins_module

    assert registry.plugin_manager is not None
    assert not any(
        type(value).__name__ == "PluginManager" for value in vars(plugins_module).values()
    )
