"""The audit hook and the built-in audit log: committed events only, never a secret."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import pytest

from access_platform.hookspecs import hookimpl
from access_platform.rbac.models import WORKSPACE_MEMBER_ROLE_ID
from tests.functional.audit_helpers import actions, audit_events, only_event
from tests.functional.scim_helpers import Scim

USERS = "/api/v1/users"
GROUPS = "/api/v1/groups"
BATCH = "/api/v1/$batch"
TOKENS = "/api/v1/admin/scim/tokens"
LOGIN = "/api/v1/auth/login"
JSON = {"Content-Type": "application/json"}
AUDIT_LOGGER = "access_platform.audit.events"
PASSWORD = "correct horse battery"


@dataclass
class EventCapture:
    """A throwaway plugin that keeps every audit event it receives."""

    events: list[dict] = field(default_factory=list)

    @hookimpl
    def access_platform_audit_event(self, event, settings):
        self.events.append(event)


class FailingAuditHook:
    """A throwaway plugin whose audit hook raises RuntimeError."""

    @hookimpl
    def access_platform_audit_event(self, event, settings):
        raise RuntimeError("SIEM unreachable")


class DoomingGuardrail:
    """A throwaway guardrail that allows the change but dooms the request's transaction.

    The view then runs to the end and records its event, and pyramid_tm
    aborts instead of committing.
    """

    @hookimpl
    def access_platform_group_change_veto(self, request, change):
        request.tm.doom()
        return None


@dataclass
class TokenCapture:
    tokens: list[str] = field(default_factory=list)

    @hookimpl
    def access_platform_invitation_issued(self, invitation, token, event, settings):
        self.tokens.append(token)


@pytest.fixture
def plugins(registry):
    """Register throwaway plugins for one test: ``plugins(name, plugin)``."""
    names: list[str] = []

    def register(name, plugin):
        registry.plugin_manager.register(plugin, name=name)
        names.append(name)
        return plugin

    yield register
    for name in names:
        registry.plugin_manager.unregister(name=name)


@pytest.fixture
def captured(plugins) -> list[dict]:
    return plugins("audit-capture", EventCapture()).events


def test_hook_receives_event_as_the_api_shows_it(testapp, admin, captured):
    testapp.post_json(USERS, {"user_name": "kim@example.com"}, headers=admin.headers)

    assert captured == [only_event(testapp, admin.headers)]
    assert json.loads(json.dumps(captured[0])) == captured[0]


def test_hook_receives_events_in_recorded_order(testapp, admin, captured):
    workspace = testapp.post_json("/api/v1/workspaces", {"name": "Lab"}, headers=admin.headers)
    captured.clear()

    testapp.post_json(
        "/api/v1/invitations",
        {
            "email": "new@example.com",
            "workspace_id": workspace.json["id"],
            "role_id": WORKSPACE_MEMBER_ROLE_ID,
        },
        headers=admin.headers,
    )

    assert [event["action"] for event in captured] == [
        "user.create",
        "role_assignment.create",
        "invitation.create",
    ]


def test_hook_skips_failed_batch_items(testapp, admin, captured):
    testapp.post_json(USERS, {"user_name": "taken@example.com"}, headers=admin.headers)
    captured.clear()

    testapp.post_json(
        BATCH,
        {
            "requests": [
                {
                    "id": str(index),
                    "method": "POST",
                    "url": "/users",
                    "headers": JSON,
                    "body": {"user_name": user_name},
                }
                for index, user_name in enumerate(
                    ["first@example.com", "TAKEN@example.com", "third@example.com"]
                )
            ]
        },
        headers={**admin.headers, "X-Request-Id": "batch-9"},
    )

    assert [event["request_id"] for event in captured] == ["batch-9/0", "batch-9/2"]
    assert [event["changes"]["user_name"] for event in captured] == [
        "first@example.com",
        "third@example.com",
    ]


def test_hook_never_sees_an_aborted_event(testapp, admin, captured, plugins):
    group = testapp.post_json(GROUPS, {"display_name": "Staff"}, headers=admin.headers).json
    user = testapp.post_json(USERS, {"user_name": "kim@example.com"}, headers=admin.headers).json
    captured.clear()
    plugins("dooming-guardrail", DoomingGuardrail())

    testapp.post_json(
        f"{GROUPS}/{group['id']}/members/$ref",
        {"@odata.id": f"users/{user['id']}"},
        headers=admin.headers,
    )

    assert captured == []
    assert audit_events(testapp, admin.headers, action="group.member.add") == []
    members = testapp.get(f"{GROUPS}/{group['id']}/members", headers=admin.headers).json
    assert members["items"] == []


def test_failing_hook_is_logged_and_changes_nothing(testapp, admin, captured, plugins, caplog):
    plugins("failing-audit-hook", FailingAuditHook())

    with caplog.at_level(logging.ERROR, logger="access_platform.audit.delivery"):
        response = testapp.post_json(
            USERS, {"user_name": "kim@example.com"}, headers=admin.headers, status=201
        )

    event = only_event(testapp, admin.headers, action="user.create")
    assert event["target"]["id"] == response.json["id"]
    assert f"delivering audit event {event['id']} (user.create) failed" in caplog.text
    assert "SIEM unreachable" in caplog.text


def test_builtin_log_writes_one_json_line_per_event(testapp, admin, caplog):
    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        testapp.post_json(USERS, {"user_name": "kim@example.com"}, headers=admin.headers)
        testapp.post_json(GROUPS, {"display_name": "Staff"}, headers=admin.headers)

    lines = [record.getMessage() for record in caplog.records if record.name == AUDIT_LOGGER]
    logged = [json.loads(line) for line in lines]
    assert all("\n" not in line for line in lines)
    assert logged == list(reversed(audit_events(testapp, admin.headers)))


def test_no_secret_reaches_events_or_logs(testapp, admin, factory, plugins, caplog, captured):
    tokens = plugins("token-capture", TokenCapture()).tokens
    principal = factory.user("kim@example.com", password=PASSWORD)
    new_password = "another long password"
    scim_password = "scim side password"

    with caplog.at_level(logging.DEBUG):
        user = testapp.post_json(
            USERS, {"user_name": "lee@example.com", "password": new_password}, headers=admin.headers
        ).json
        testapp.patch_json(
            f"{USERS}/{user['id']}", {"password": new_password + "!"}, headers=admin.headers
        )
        login = testapp.post_json(LOGIN, {"user_name": principal.user_name, "password": PASSWORD})
        token = testapp.post_json(TOKENS, {"name": "Entra"}, headers=admin.headers).json
        Scim(testapp, {"Authorization": f"Bearer {token['token']}"}).create_user(
            "scim@example.com", password=scim_password
        )
        workspace = testapp.post_json(
            "/api/v1/workspaces", {"name": "Lab"}, headers=admin.headers
        ).json
        invitation = testapp.post_json(
            "/api/v1/invitations",
            {
                "email": "new@example.com",
                "workspace_id": workspace["id"],
                "role_id": WORKSPACE_MEMBER_ROLE_ID,
            },
            headers=admin.headers,
        ).json
        testapp.post_json(
            f"/api/v1/invitations/{invitation['id']}/accept",
            {"token": tokens[0], "password": PASSWORD + "?"},
        )

    session_cookie = testapp.cookies["access_platform_session"]
    secrets = {
        "user password": new_password,
        "login password": PASSWORD,
        "session cookie": session_cookie,
        "csrf token": login.json["csrf_token"],
        "scim token": token["token"],
        "scim token digest": token["secret_sha256"],
        "scim password": scim_password,
        "invitation token": tokens[0],
        "admin api key": admin.api_key,
    }
    stored = json.dumps(audit_events(testapp, admin.headers))
    delivered = json.dumps(captured)
    assert len(captured) >= 10
    for name, secret in secrets.items():
        assert secret not in stored, f"{name} is in a stored event"
        assert secret not in delivered, f"{name} is in a delivered event"
        assert secret not in caplog.text, f"{name} is in the log"
    assert actions(audit_events(testapp, admin.headers, action="session.login")) == [
        "session.login"
    ]
