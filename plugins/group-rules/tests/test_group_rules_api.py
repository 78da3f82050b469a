"""The group_rules plugin over HTTP, on the app that group_rules_example.ini builds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from access_platform.groups.models import Group
from access_platform.guardrails import GroupChange, check_group_change

INI_FILE = Path(__file__).with_name("group_rules_example.ini")

GROUPS = "/api/v1/groups"
USERS = "/api/v1/users"
ROLES = "/api/v1/roles"
ASSIGNMENTS = "/api/v1/roleAssignments"
BATCH = "/api/v1/$batch"
PROBLEM = "application/problem+json"
GROUP_READ_ONLY = "urn:access-platform:problem:group-read-only"
SCIM_PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# The reason of each rule in group_rules_example.ini, by rule name.
REASONS = {
    "hr_synced": (
        "Groups from the HR system (source=hr) change in the HR system, not through this API."
    ),
    "finance": "Finance groups are changed by the finance team only.",
    "payroll": "Payroll groups follow the cost-centre list; ask payroll to change it.",
    "workday": "Groups mirrored from Workday change in Workday.",
    "vault": "ERP vault groups are managed in the ERP system.",
    "board": "Board groups can be changed by tenant administrators only.",
}

# The rules whose exemption is the default permission, groups.protected.manage.
KINDS = ["hr_synced", "finance", "payroll", "workday", "vault"]
ALL_RULES = [*KINDS, "board"]

EDITOR_PERMISSIONS = ["groups.read", "groups.write", "users.read"]


# --- Helpers ----------------------------------------------------------------------


@dataclass
class Team:
    """A group with one member and one owner, added before any rule matched it."""

    group_id: str
    member_id: str
    owner_id: str


def user_ref(user_id: str) -> dict[str, str]:
    return {"@odata.id": f"{USERS}/{user_id}"}


def group_ref(group_id: str) -> dict[str, str]:
    return {"@odata.id": f"{GROUPS}/{group_id}"}


def create_group(running, display_name: str, **fields: Any) -> dict[str, Any]:
    body = {"display_name": display_name, **fields}
    return running.testapp.post_json(GROUPS, body, headers=running.admin.headers).json


def patch_group(running, group_id: str, **fields: Any) -> None:
    running.testapp.patch_json(f"{GROUPS}/{group_id}", fields, headers=running.admin.headers)


def protect(running, group_id: str, rule: str) -> None:
    """Change the group so that ``rule`` of group_rules_example.ini matches it."""
    if rule == "hr_synced":
        # The API sets a group's source only at creation.
        running.factory.update(Group, group_id, source="hr")
    elif rule == "finance":
        # Lower case on purpose: the glob ignores case.
        patch_group(running, group_id, display_name="finance-team")
    elif rule == "payroll":
        patch_group(running, group_id, display_name="PAYROLL-2024")
    elif rule == "workday":
        patch_group(running, group_id, external_id="workday:4711")
    elif rule == "vault":
        running.factory.update(Group, group_id, source="erp")
        patch_group(running, group_id, display_name="Vault-Keys")
    elif rule == "board":
        patch_group(running, group_id, display_name="Board-Directors")
    else:
        raise AssertionError(f"no rule named {rule}")


def add_ref(running, principal, path: str, reference: dict[str, str], status: int = 200):
    return running.testapp.post_json(path, reference, headers=principal.headers, status=status)


def delete_ref(running, principal, path: str, status: int = 204):
    return running.testapp.delete(path, headers=principal.headers, status=status)


def member_ids(running, group_id: str) -> list[str]:
    body = running.testapp.get(f"{GROUPS}/{group_id}/members", headers=running.admin.headers).json
    return sorted(item["id"] for item in body["items"])


def owner_ids(running, group_id: str) -> list[str]:
    body = running.testapp.get(f"{GROUPS}/{group_id}/owners", headers=running.admin.headers).json
    return sorted(item["id"] for item in body["items"])


def assert_read_only(response, reason: str) -> None:
    assert response.status_int == 409
    assert response.content_type == PROBLEM
    assert response.json["type"] == GROUP_READ_ONLY
    assert response.json["detail"] == reason


def make_role(running, name: str, permissions: list[str], scope: str = "tenant") -> str:
    body = {"name": name, "permissions": permissions, "scope": scope}
    return running.testapp.post_json(ROLES, body, headers=running.admin.headers).json["id"]


def assign(running, role_id: str, user_id: str, workspace_id: str | None = None) -> None:
    body = {"role_id": role_id, "principal_type": "user", "principal_id": user_id}
    if workspace_id is not None:
        body["workspace_id"] = workspace_id
    running.testapp.post_json(ASSIGNMENTS, body, headers=running.admin.headers, status=201)


def user_with_role(running, role_name: str, permissions: list[str]):
    principal = running.factory.user()
    assign(running, make_role(running, role_name, permissions), principal.user_id)
    return principal


# --- Fixtures ---------------------------------------------------------------------


@pytest.fixture
def running(platform):
    return platform(ini_file=INI_FILE)


@pytest.fixture
def editor(running):
    """A user who may change groups but does not hold groups.protected.manage."""
    return user_with_role(running, "Group editor", EDITOR_PERMISSIONS)


@pytest.fixture
def manager(running):
    """A user who may change groups, protected ones included."""
    return user_with_role(
        running, "Protected group manager", [*EDITOR_PERMISSIONS, "groups.protected.manage"]
    )


@pytest.fixture
def team(running) -> Team:
    group = create_group(running, "Team")
    member = running.factory.user()
    owner = running.factory.user()
    group_path = f"{GROUPS}/{group['id']}"
    add_ref(running, running.admin, f"{group_path}/members/$ref", user_ref(member.user_id))
    add_ref(running, running.admin, f"{group_path}/owners/$ref", user_ref(owner.user_id))
    return Team(group["id"], member.user_id, owner.user_id)


# --- Rejected changes ---------------------------------------------------------------


@pytest.mark.parametrize("rule", ALL_RULES)
def test_protected_group_rejects_member_add(running, editor, team, rule):
    protect(running, team.group_id, rule)
    newcomer = running.factory.user()

    response = add_ref(
        running,
        editor,
        f"{GROUPS}/{team.group_id}/members/$ref",
        user_ref(newcomer.user_id),
        status=409,
    )

    assert_read_only(response, REASONS[rule])
    assert member_ids(running, team.group_id) == [team.member_id]


@pytest.mark.parametrize("rule", ALL_RULES)
def test_protected_group_rejects_nested_group_add(running, editor, team, rule):
    protect(running, team.group_id, rule)
    nested = create_group(running, "Nested")

    response = add_ref(
        running, editor, f"{GROUPS}/{team.group_id}/members/$ref", group_ref(nested["id"]), 409
    )

    assert_read_only(response, REASONS[rule])
    assert member_ids(running, team.group_id) == [team.member_id]


@pytest.mark.parametrize("rule", ALL_RULES)
def test_protected_group_rejects_member_remove(running, editor, team, rule):
    protect(running, team.group_id, rule)

    response = delete_ref(
        running, editor, f"{GROUPS}/{team.group_id}/members/{team.member_id}/$ref", status=409
    )

    assert_read_only(response, REASONS[rule])
    assert member_ids(running, team.group_id) == [team.member_id]


@pytest.mark.parametrize("rule", ALL_RULES)
def test_protected_group_rejects_owner_add(running, editor, team, rule):
    protect(running, team.group_id, rule)
    newcomer = running.factory.user()

    response = add_ref(
        running,
        editor,
        f"{GROUPS}/{team.group_id}/owners/$ref",
        user_ref(newcomer.user_id),
        status=409,
    )

    assert_read_only(response, REASONS[rule])
    assert owner_ids(running, team.group_id) == [team.owner_id]


@pytest.mark.parametrize("rule", ALL_RULES)
def test_protected_group_rejects_owner_remove(running, editor, team, rule):
    protect(running, team.group_id, rule)

    response = delete_ref(
        running, editor, f"{GROUPS}/{team.group_id}/owners/{team.owner_id}/$ref", status=409
    )

    assert_read_only(response, REASONS[rule])
    assert owner_ids(running, team.group_id) == [team.owner_id]


@pytest.mark.parametrize("rule", ALL_RULES)
def test_protected_group_rejects_member_of_add(running, editor, team, rule):
    protect(running, team.group_id, rule)
    newcomer = running.factory.user()

    response = add_ref(
        running,
        editor,
        f"{USERS}/{newcomer.user_id}/memberOf/$ref",
        group_ref(team.group_id),
        status=409,
    )

    assert_read_only(response, REASONS[rule])
    assert member_ids(running, team.group_id) == [team.member_id]


@pytest.mark.parametrize("rule", ALL_RULES)
def test_protected_group_rejects_member_of_remove(running, editor, team, rule):
    protect(running, team.group_id, rule)

    response = delete_ref(
        running, editor, f"{USERS}/{team.member_id}/memberOf/{team.group_id}/$ref", status=409
    )

    assert_read_only(response, REASONS[rule])
    assert member_ids(running, team.group_id) == [team.member_id]


def test_first_matching_rule_by_name_gives_reason(running, editor):
    # Both the finance and the workday rule match, and rules are tried in name order.
    group = create_group(running, "Finance-Mirror", external_id="workday:17")
    newcomer = running.factory.user()

    response = add_ref(
        running, editor, f"{GROUPS}/{group['id']}/members/$ref", user_ref(newcomer.user_id), 409
    )

    assert_read_only(response, REASONS["finance"])


def test_group_fields_stay_editable(running, editor, team):
    # The rules cover members and owners, not the group's own fields.
    protect(running, team.group_id, "hr_synced")

    response = running.testapp.patch_json(
        f"{GROUPS}/{team.group_id}", {"description": "Synced nightly"}, headers=editor.headers
    )

    assert response.json["description"] == "Synced nightly"


# --- Groups no rule matches -------------------------------------------------------

NEAR_MISSES = [
    pytest.param({"display_name": "Archive", "source": "hr-archive"}, id="other-source"),
    pytest.param({"display_name": "Financial-Planning"}, id="glob-prefix-differs"),
    pytest.param({"display_name": "Finance"}, id="glob-needs-dash"),
    pytest.param({"display_name": "Payroll-20245"}, id="regex-matches-whole-name"),
    pytest.param({"display_name": "Mirror", "external_id": "Workday:1"}, id="prefix-case"),
    pytest.param({"display_name": "Mirror", "external_id": "sap:workday:1"}, id="prefix-inside"),
    pytest.param({"display_name": "Vault-Keys"}, id="combined-name-only"),
    pytest.param({"display_name": "Ledger", "source": "erp"}, id="combined-source-only"),
]


@pytest.mark.parametrize("fields", NEAR_MISSES)
def test_unmatched_group_is_editable(running, editor, fields):
    group = create_group(running, **fields)
    user = running.factory.user()
    members = f"{GROUPS}/{group['id']}/members"
    owners = f"{GROUPS}/{group['id']}/owners"

    add_ref(running, editor, f"{members}/$ref", user_ref(user.user_id))
    add_ref(running, editor, f"{owners}/$ref", user_ref(user.user_id))
    assert member_ids(running, group["id"]) == [user.user_id]
    assert owner_ids(running, group["id"]) == [user.user_id]

    delete_ref(running, editor, f"{members}/{user.user_id}/$ref")
    delete_ref(running, editor, f"{owners}/{user.user_id}/$ref")
    assert member_ids(running, group["id"]) == []
    assert owner_ids(running, group["id"]) == []


# --- Principals the rules exempt ----------------------------------------------------


def change_everything(running, principal, team: Team) -> None:
    """Add and remove a member, an owner and a memberOf entry as ``principal``."""
    newcomer = running.factory.user()
    group_path = f"{GROUPS}/{team.group_id}"

    add_ref(running, principal, f"{group_path}/members/$ref", user_ref(newcomer.user_id))
    delete_ref(running, principal, f"{group_path}/members/{team.member_id}/$ref")
    add_ref(running, principal, f"{group_path}/owners/$ref", user_ref(newcomer.user_id))
    delete_ref(running, principal, f"{group_path}/owners/{team.owner_id}/$ref")
    assert member_ids(running, team.group_id) == [newcomer.user_id]
    assert owner_ids(running, team.group_id) == [newcomer.user_id]

    add_ref(running, principal, f"{USERS}/{team.member_id}/memberOf/$ref", group_ref(team.group_id))
    delete_ref(running, principal, f"{USERS}/{newcomer.user_id}/memberOf/{team.group_id}/$ref")
    assert member_ids(running, team.group_id) == [team.member_id]


@pytest.mark.parametrize("rule", KINDS)
def test_permission_holder_changes_protected_group(running, manager, team, rule):
    protect(running, team.group_id, rule)

    change_everything(running, manager, team)


def test_permission_holder_needs_rule_permission(running, manager, team):
    # The board rule names *, which only the tenant administrator role lists.
    protect(running, team.group_id, "board")
    newcomer = running.factory.user()

    response = add_ref(
        running,
        manager,
        f"{GROUPS}/{team.group_id}/members/$ref",
        user_ref(newcomer.user_id),
        status=409,
    )

    assert_read_only(response, REASONS["board"])


@pytest.mark.parametrize("rule", ALL_RULES)
def test_tenant_admin_changes_protected_group(running, team, rule):
    # The built-in tenant administrator role lists *, which grants every permission.
    protect(running, team.group_id, rule)

    change_everything(running, running.admin, team)


def test_workspace_grant_does_not_exempt(running, team):
    protect(running, team.group_id, "finance")
    workspace = running.testapp.post_json(
        "/api/v1/workspaces", {"name": "Finance"}, headers=running.admin.headers
    ).json
    role_id = make_role(running, "Workspace protector", ["groups.protected.manage"], "workspace")
    principal = user_with_role(running, "Group editor", EDITOR_PERMISSIONS)
    assign(running, role_id, principal.user_id, workspace_id=workspace["id"])
    newcomer = running.factory.user()

    response = add_ref(
        running,
        principal,
        f"{GROUPS}/{team.group_id}/members/$ref",
        user_ref(newcomer.user_id),
        status=409,
    )

    assert_read_only(response, REASONS["finance"])


def test_permission_is_in_catalogue(running):
    response = running.testapp.get(
        "/api/v1/permissions", {"plugin": "group_rules"}, headers=running.admin.headers
    )

    assert [item["name"] for item in response.json["items"]] == ["groups.protected.manage"]


def test_role_with_permission_is_assignable(running):
    # Roles may list the permission only while the plugin is enabled.
    role = running.testapp.post_json(
        ROLES,
        {"name": "Protectors", "permissions": ["groups.protected.manage"]},
        headers=running.admin.headers,
        status=201,
    ).json

    assert role["permissions"] == ["groups.protected.manage"]


# --- Other ways in ------------------------------------------------------------------


@pytest.mark.parametrize("rule", ALL_RULES)
def test_scim_changes_protected_group(running, team, rule):
    # Guardrails apply to /api/v1 only, because SCIM clients are the authority over groups.
    protect(running, team.group_id, rule)
    newcomer = running.factory.user()
    operations = [
        {"op": "add", "path": "members", "value": [{"value": newcomer.user_id}]},
        {"op": "remove", "path": f'members[value eq "{team.member_id}"]'},
    ]

    running.testapp.request(
        f"/scim/v2/Groups/{team.group_id}",
        method="PATCH",
        body=json.dumps({"schemas": [SCIM_PATCH_URN], "Operations": operations}).encode(),
        headers={**running.scim_headers(), "Content-Type": "application/scim+json"},
    )

    assert member_ids(running, team.group_id) == [newcomer.user_id]


def test_batch_cannot_reach_group_endpoints(running, editor, team):
    protect(running, team.group_id, "finance")
    newcomer = running.factory.user()
    group_path = f"/groups/{team.group_id}"
    requests = [
        {
            "id": "add",
            "method": "POST",
            "url": f"{group_path}/members/$ref",
            "headers": {"Content-Type": "application/json"},
            "body": user_ref(newcomer.user_id),
        },
        {"id": "remove", "method": "DELETE", "url": f"{group_path}/members/{team.member_id}/$ref"},
    ]

    response = running.testapp.post_json(BATCH, {"requests": requests}, headers=editor.headers)

    statuses = {item["id"]: item["status"] for item in response.json["responses"]}
    assert statuses == {"add": 400, "remove": 400}
    assert member_ids(running, team.group_id) == [team.member_id]


def test_veto_without_request_applies_rules(running, team):
    # Command-line tools pass no request, so nobody is exempt.
    manager = running.registry.plugin_manager
    protect(running, team.group_id, "finance")
    protected = running.factory.get(Group, team.group_id)
    unmatched = running.factory.get(Group, create_group(running, "Unmatched")["id"])

    protected_change = GroupChange(protected, "members", "add", team.owner_id)
    unmatched_change = GroupChange(unmatched, "members", "add", team.owner_id)

    assert check_group_change(manager, None, protected_change) == REASONS["finance"]
    assert check_group_change(manager, None, unmatched_change) is None


# --- Without the plugin -------------------------------------------------------------


@pytest.mark.parametrize("rule", ALL_RULES)
def test_without_plugin_groups_are_editable(platform, rule):
    running = platform(ini_file=INI_FILE, settings={"access_platform.plugins": ""})
    editor = user_with_role(running, "Group editor", EDITOR_PERMISSIONS)
    group = create_group(running, "Team")
    team = Team(group["id"], running.factory.user().user_id, running.factory.user().user_id)
    add_ref(running, editor, f"{GROUPS}/{team.group_id}/members/$ref", user_ref(team.member_id))
    add_ref(running, editor, f"{GROUPS}/{team.group_id}/owners/$ref", user_ref(team.owner_id))
    protect(running, team.group_id, rule)

    change_everything(running, editor, team)


def test_without_plugin_permission_is_unknown(platform):
    running = platform(ini_file=INI_FILE, settings={"access_platform.plugins": ""})

    response = running.testapp.get(
        "/api/v1/permissions", {"q": "protected"}, headers=running.admin.headers
    )

    assert response.json["items"] == []
