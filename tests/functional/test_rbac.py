"""Roles, the permission catalogue, role assignments and their enforcement, over HTTP."""

from __future__ import annotations

import pytest

from access_platform.rbac.models import (
    AUDITOR_ROLE_ID,
    TENANT_ADMIN_ROLE_ID,
    USER_ADMIN_ROLE_ID,
    WORKSPACE_MEMBER_ROLE_ID,
    WORKSPACE_OWNER_ROLE_ID,
)
from access_platform.rbac.permissions import CORE_PERMISSIONS

ROLES = "/api/v1/roles"
ASSIGNMENTS = "/api/v1/roleAssignments"
PERMISSIONS = "/api/v1/permissions"
PROBLEM = "application/problem+json"


def assign(
    testapp, headers, role_id, principal_id, principal_type="user", workspace_id=None, status=201
):
    body = {"role_id": role_id, "principal_type": principal_type, "principal_id": principal_id}
    if workspace_id is not None:
        body["workspace_id"] = workspace_id
    return testapp.post_json(ASSIGNMENTS, body, headers=headers, status=status)


def make_role(testapp, headers, name="Helpdesk", permissions=("users.read",), status=201, **extra):
    body = {"name": name, "permissions": list(permissions), **extra}
    return testapp.post_json(ROLES, body, headers=headers, status=status)


def make_group(testapp, headers, name):
    return testapp.post_json("/api/v1/groups", {"display_name": name}, headers=headers).json


def add_member(testapp, headers, group_id, kind, member_id):
    testapp.post_json(
        f"/api/v1/groups/{group_id}/members/$ref",
        {"@odata.id": f"/api/v1/{kind}/{member_id}"},
        headers=headers,
    )


def make_workspace(testapp, headers, name):
    return testapp.post_json("/api/v1/workspaces", {"name": name}, headers=headers).json


# --- Built-in roles and the catalogue ------------------------------------------------


def test_builtin_roles_are_listed(testapp, admin):
    body = testapp.get(ROLES, {"builtin": "true"}, headers=admin.headers).json

    ids = {role["id"] for role in body["items"]}
    assert ids == {
        TENANT_ADMIN_ROLE_ID,
        USER_ADMIN_ROLE_ID,
        AUDITOR_ROLE_ID,
        WORKSPACE_OWNER_ROLE_ID,
        WORKSPACE_MEMBER_ROLE_ID,
    }


def test_roles_filter_by_scope_and_search(testapp, admin):
    workspace_roles = testapp.get(ROLES, {"scope": "workspace"}, headers=admin.headers).json
    searched = testapp.get(ROLES, {"q": "work"}, headers=admin.headers).json

    assert {role["name"] for role in workspace_roles["items"]} == {
        "Workspace owner",
        "Workspace member",
    }
    assert {role["name"] for role in searched["items"]} == {"Workspace owner", "Workspace member"}


def test_roles_sort_descending(testapp, admin):
    body = testapp.get(ROLES, {"sort": "-name"}, headers=admin.headers).json
    names = [role["name"] for role in body["items"]]
    assert names == sorted(names, key=str.casefold, reverse=True)


def test_permissions_catalogue_lists_core_permissions(testapp, admin):
    body = testapp.get(PERMISSIONS, headers=admin.headers).json

    names = [permission["name"] for permission in body["items"]]
    assert "users.read" in names
    assert "scim_tokens.manage" in names
    assert names == sorted(names)
    assert {permission["plugin"] for permission in body["items"]} == {"core"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"resource": "users"}, ["users.read", "users.write"]),
        ({"q": "INVITATION"}, ["invitations.read", "invitations.write"]),
        ({"q": "invite people"}, ["invitations.write"]),
        ({"resource": "users", "sort": "-name"}, ["users.write", "users.read"]),
        ({"plugin": "someone-else"}, []),
    ],
)
def test_permissions_filters(testapp, admin, params, expected):
    body = testapp.get(PERMISSIONS, params, headers=admin.headers).json
    assert [permission["name"] for permission in body["items"]] == expected


def test_permissions_page_with_cursor(testapp, admin):
    first = testapp.get(PERMISSIONS, {"limit": "5", "count": "true"}, headers=admin.headers).json
    second = testapp.get(
        PERMISSIONS, {"limit": "5", "cursor": first["next_cursor"]}, headers=admin.headers
    ).json

    first_names = [permission["name"] for permission in first["items"]]
    second_names = [permission["name"] for permission in second["items"]]
    assert len(first_names) == 5
    assert first["total"] == len(CORE_PERMISSIONS)
    assert not set(first_names) & set(second_names)
    assert second_names[0] > first_names[-1]


def test_permissions_need_roles_read(testapp, factory):
    testapp.get(PERMISSIONS, status=401)
    testapp.get(PERMISSIONS, headers=factory.user().headers, status=403)


# --- Custom roles -------------------------------------------------------------------------


def test_create_role(testapp, admin):
    response = make_role(
        testapp, admin.headers, permissions=["users.write", "users.read", "users.read"]
    )

    body = response.json
    assert response.headers["Location"].endswith(f"{ROLES}/{body['id']}")
    assert body["permissions"] == ["users.read", "users.write"]
    assert body["builtin"] is False
    assert body["scope"] == "tenant"


def test_create_role_with_unknown_permission_gets_422(testapp, admin):
    response = make_role(
        testapp, admin.headers, permissions=["users.read", "users.fly"], status=422
    )

    assert response.json["errors"] == [
        {"pointer": "#/permissions/1", "detail": "Unknown permission users.fly."}
    ]


def test_create_role_duplicate_name_gets_409(testapp, admin):
    make_role(testapp, admin.headers, name="Helpdesk")
    response = make_role(testapp, admin.headers, name="HELPDESK", status=409)
    assert response.json["type"] == "urn:access-platform:problem:role-name-taken"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "permissions": []},
        {"name": "x"},
        {"name": "x", "permissions": "users.read"},
        {"name": "x", "permissions": [], "scope": "galaxy"},
        {"name": "x", "permissions": [], "builtin": True},
    ],
)
def test_create_role_invalid_body_gets_422(testapp, admin, body):
    testapp.post_json(ROLES, body, headers=admin.headers, status=422)


def test_create_role_needs_roles_write(testapp, factory):
    make_role(testapp, factory.user().headers, status=403)
    testapp.post_json(ROLES, {"name": "x", "permissions": []}, status=401)


def test_patch_role_permissions(testapp, admin):
    role = make_role(testapp, admin.headers).json
    path = f"{ROLES}/{role['id']}"

    response = testapp.patch_json(
        path, {"permissions": ["groups.read"], "description": "Reads groups"}, headers=admin.headers
    )

    assert response.json["permissions"] == ["groups.read"]
    assert response.json["description"] == "Reads groups"
    assert testapp.get(path, headers=admin.headers).json["permissions"] == ["groups.read"]


def test_patch_role_stale_etag_gets_412(testapp, admin):
    created = make_role(testapp, admin.headers)
    path = f"{ROLES}/{created.json['id']}"
    testapp.patch_json(path, {"description": "first"}, headers=admin.headers)

    testapp.patch_json(
        path,
        {"description": "second"},
        headers={**admin.headers, "If-Match": created.headers["ETag"]},
        status=412,
    )

    assert testapp.get(path, headers=admin.headers).json["description"] == "first"


def test_patch_role_scope_is_read_only(testapp, admin):
    role = make_role(testapp, admin.headers).json
    response = testapp.patch_json(
        f"{ROLES}/{role['id']}", {"scope": "workspace"}, headers=admin.headers, status=422
    )
    assert response.json["errors"][0]["pointer"] == "#/scope"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_builtin_role_cannot_change(testapp, admin, method):
    path = f"{ROLES}/{AUDITOR_ROLE_ID}"
    if method == "patch":
        response = testapp.patch_json(
            path, {"description": "mine now"}, headers=admin.headers, status=409
        )
    else:
        response = testapp.delete(path, headers=admin.headers, status=409)

    assert response.json["type"] == "urn:access-platform:problem:builtin-role"
    assert (
        testapp.get(path, headers=admin.headers).json["description"]
        == "Reads everything, changes nothing."
    )


def test_delete_assigned_role_gets_409(testapp, admin, factory):
    role = make_role(testapp, admin.headers).json
    assignment = assign(testapp, admin.headers, role["id"], factory.user().user_id).json

    response = testapp.delete(f"{ROLES}/{role['id']}", headers=admin.headers, status=409)

    assert response.json["type"] == "urn:access-platform:problem:role-in-use"
    testapp.delete(f"{ASSIGNMENTS}/{assignment['id']}", headers=admin.headers, status=204)
    testapp.delete(f"{ROLES}/{role['id']}", headers=admin.headers, status=204)
    testapp.get(f"{ROLES}/{role['id']}", headers=admin.headers, status=404)


def test_unknown_role_gets_404(testapp, admin):
    testapp.get(f"{ROLES}/missing", headers=admin.headers, status=404)
    testapp.patch_json(f"{ROLES}/missing", {"description": "x"}, headers=admin.headers, status=404)
    testapp.delete(f"{ROLES}/missing", headers=admin.headers, status=404)


# --- Assignments ---------------------------------------------------------------------------


def test_assign_role_grants_its_permissions(testapp, admin, factory):
    helpdesk = factory.user()
    testapp.get("/api/v1/users", headers=helpdesk.headers, status=403)

    response = assign(testapp, admin.headers, USER_ADMIN_ROLE_ID, helpdesk.user_id)

    assert response.json["scope"] == "tenant"
    assert response.json["created_by"] == f"user:{admin.user_id}"
    assert response.headers["Location"].endswith(f"{ASSIGNMENTS}/{response.json['id']}")
    testapp.get("/api/v1/users", headers=helpdesk.headers, status=200)
    testapp.post_json(
        "/api/v1/users",
        {"user_name": "by-helpdesk@example.com"},
        headers=helpdesk.headers,
        status=201,
    )
    testapp.get(ROLES, headers=helpdesk.headers, status=403)


def test_delete_assignment_revokes_permissions(testapp, admin, factory):
    helpdesk = factory.user()
    assignment = assign(testapp, admin.headers, USER_ADMIN_ROLE_ID, helpdesk.user_id).json

    testapp.delete(f"{ASSIGNMENTS}/{assignment['id']}", headers=admin.headers, status=204)

    testapp.get("/api/v1/users", headers=helpdesk.headers, status=403)
    testapp.delete(f"{ASSIGNMENTS}/{assignment['id']}", headers=admin.headers, status=404)


def test_auditor_reads_but_cannot_write(testapp, admin, factory):
    auditor = factory.user()
    assign(testapp, admin.headers, AUDITOR_ROLE_ID, auditor.user_id)

    testapp.get("/api/v1/users", headers=auditor.headers, status=200)
    testapp.get(ROLES, headers=auditor.headers, status=200)
    testapp.get(ASSIGNMENTS, headers=auditor.headers, status=200)
    testapp.post_json(
        "/api/v1/users", {"user_name": "x@example.com"}, headers=auditor.headers, status=403
    )
    testapp.post_json("/api/v1/groups", {"display_name": "x"}, headers=auditor.headers, status=403)


@pytest.mark.parametrize(
    ("field", "value"),
    [("role_id", "missing"), ("principal_id", "missing"), ("workspace_id", "missing")],
)
def test_assignment_unknown_reference_gets_404(testapp, admin, factory, field, value):
    body = {
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
        "principal_type": "user",
        "principal_id": factory.user().user_id,
    }
    body["workspace_id"] = make_workspace(testapp, admin.headers, "ws")["id"]
    body[field] = value

    testapp.post_json(ASSIGNMENTS, body, headers=admin.headers, status=404)


def test_assignment_scope_mismatch_gets_422(testapp, admin, factory):
    user_id = factory.user().user_id
    workspace = make_workspace(testapp, admin.headers, "ws")

    tenant_in_workspace = assign(
        testapp,
        admin.headers,
        USER_ADMIN_ROLE_ID,
        user_id,
        workspace_id=workspace["id"],
        status=422,
    )
    workspace_without_one = assign(
        testapp, admin.headers, WORKSPACE_MEMBER_ROLE_ID, user_id, status=422
    )

    assert tenant_in_workspace.json["errors"][0]["pointer"] == "#/workspace_id"
    assert workspace_without_one.json["errors"][0]["pointer"] == "#/workspace_id"


def test_duplicate_assignment_gets_409(testapp, admin, factory):
    user_id = factory.user().user_id
    assign(testapp, admin.headers, AUDITOR_ROLE_ID, user_id)

    response = assign(testapp, admin.headers, AUDITOR_ROLE_ID, user_id, status=409)

    assert response.json["type"] == "urn:access-platform:problem:already-assigned"


@pytest.mark.parametrize(
    "body",
    [
        {"role_id": AUDITOR_ROLE_ID, "principal_type": "robot", "principal_id": "x"},
        {"role_id": AUDITOR_ROLE_ID, "principal_type": "user"},
        {"role_id": 5, "principal_type": "user", "principal_id": "x"},
        {
            "role_id": AUDITOR_ROLE_ID,
            "principal_type": "user",
            "principal_id": "x",
            "scope": "tenant",
        },
    ],
)
def test_assignment_invalid_body_gets_422(testapp, admin, body):
    testapp.post_json(ASSIGNMENTS, body, headers=admin.headers, status=422)


def test_assignments_list_filters(testapp, admin, factory):
    first = factory.user().user_id
    second = factory.user().user_id
    assign(testapp, admin.headers, AUDITOR_ROLE_ID, first)
    assign(testapp, admin.headers, USER_ADMIN_ROLE_ID, second)

    by_principal = testapp.get(ASSIGNMENTS, {"principal_id": first}, headers=admin.headers).json
    by_role = testapp.get(ASSIGNMENTS, {"role_id": USER_ADMIN_ROLE_ID}, headers=admin.headers).json

    assert [item["principal_id"] for item in by_principal["items"]] == [first]
    assert [item["principal_id"] for item in by_role["items"]] == [second]


def test_assignments_need_credentials_and_permission(testapp, factory):
    testapp.get(ASSIGNMENTS, status=401)
    testapp.get(ASSIGNMENTS, headers=factory.user().headers, status=403)
    assign(testapp, factory.user().headers, AUDITOR_ROLE_ID, factory.user().user_id, status=403)


# --- Enforcement -----------------------------------------------------------------------------


def test_role_through_two_levels_of_nested_groups(testapp, admin, factory):
    member = factory.user()
    outer = make_group(testapp, admin.headers, "outer")
    middle = make_group(testapp, admin.headers, "middle")
    inner = make_group(testapp, admin.headers, "inner")
    add_member(testapp, admin.headers, outer["id"], "groups", middle["id"])
    add_member(testapp, admin.headers, middle["id"], "groups", inner["id"])
    add_member(testapp, admin.headers, inner["id"], "users", member.user_id)
    testapp.get("/api/v1/groups", headers=member.headers, status=403)

    assign(testapp, admin.headers, USER_ADMIN_ROLE_ID, outer["id"], principal_type="group")

    testapp.get("/api/v1/groups", headers=member.headers, status=200)
    explained = testapp.get(
        f"/api/v1/users/{member.user_id}/effectivePermissions", headers=admin.headers
    ).json
    groups_read = next(item for item in explained["items"] if item["permission"] == "groups.read")
    assert groups_read["granted_by"][0]["via_groups"] == [inner["id"], middle["id"], outer["id"]]
    assert groups_read["granted_by"][0]["principal_id"] == outer["id"]


def test_leaving_group_removes_inherited_permissions(testapp, admin, factory):
    member = factory.user()
    group = make_group(testapp, admin.headers, "team")
    add_member(testapp, admin.headers, group["id"], "users", member.user_id)
    assign(testapp, admin.headers, AUDITOR_ROLE_ID, group["id"], principal_type="group")
    testapp.get("/api/v1/users", headers=member.headers, status=200)

    testapp.delete(
        f"/api/v1/groups/{group['id']}/members/{member.user_id}/$ref", headers=admin.headers
    )

    testapp.get("/api/v1/users", headers=member.headers, status=403)


def test_deactivated_user_holds_no_permissions(testapp, admin, factory):
    target = factory.user()
    assign(testapp, admin.headers, AUDITOR_ROLE_ID, target.user_id)
    testapp.post(f"/api/v1/users/{target.user_id}/deactivate", headers=admin.headers)

    explained = testapp.get(
        f"/api/v1/users/{target.user_id}/effectivePermissions", headers=admin.headers
    ).json

    assert explained["items"] == []
    testapp.get("/api/v1/users", headers=target.headers, status=401)


def test_cannot_grant_more_than_held(testapp, admin, factory):
    helpdesk = factory.user()
    assign(testapp, admin.headers, USER_ADMIN_ROLE_ID, helpdesk.user_id)
    # The user administrator may manage assignments but holds no roles.* permissions.
    custom = make_role(
        testapp,
        admin.headers,
        name="Assigner",
        permissions=["role_assignments.write", "users.read"],
    ).json
    assign(testapp, admin.headers, custom["id"], helpdesk.user_id)

    response = assign(testapp, helpdesk.headers, TENANT_ADMIN_ROLE_ID, helpdesk.user_id, status=403)

    assert response.json["type"] == "urn:access-platform:problem:grant-exceeds-holdings"
    assert response.json["missing_permissions"] == ["*"]
    testapp.get(ROLES, headers=helpdesk.headers, status=403)


def test_grant_within_holdings_is_allowed(testapp, admin, factory):
    helpdesk = factory.user()
    custom = make_role(
        testapp,
        admin.headers,
        name="Assigner",
        permissions=[
            "role_assignments.write",
            "users.read",
            "users.write",
            "groups.read",
            "groups.write",
        ],
    ).json
    assign(testapp, admin.headers, custom["id"], helpdesk.user_id)

    assign(testapp, helpdesk.headers, USER_ADMIN_ROLE_ID, factory.user().user_id, status=201)


def test_cannot_create_role_with_unheld_permission(testapp, admin, factory):
    creator = factory.user()
    custom = make_role(
        testapp, admin.headers, name="Role maker", permissions=["roles.write", "users.read"]
    ).json
    assign(testapp, admin.headers, custom["id"], creator.user_id)

    response = make_role(
        testapp, creator.headers, name="Escalation", permissions=["users.write"], status=403
    )

    assert response.json["missing_permissions"] == ["users.write"]
    make_role(testapp, creator.headers, name="Reader", permissions=["users.read"], status=201)


def test_workspace_owner_is_scoped_to_its_workspace(testapp, admin, factory):
    owner = factory.user()
    mine = make_workspace(testapp, admin.headers, "mine")
    theirs = make_workspace(testapp, admin.headers, "theirs")
    assign(testapp, admin.headers, WORKSPACE_OWNER_ROLE_ID, owner.user_id, workspace_id=mine["id"])
    newcomer = factory.user().user_id

    inside = assign(
        testapp, owner.headers, WORKSPACE_MEMBER_ROLE_ID, newcomer, workspace_id=mine["id"]
    )
    outside = assign(
        testapp,
        owner.headers,
        WORKSPACE_MEMBER_ROLE_ID,
        newcomer,
        workspace_id=theirs["id"],
        status=403,
    )

    assert inside.json["workspace_id"] == mine["id"]
    assert outside.content_type == PROBLEM
    testapp.get(f"/api/v1/workspaces/{mine['id']}", headers=owner.headers, status=200)
    testapp.get(f"/api/v1/workspaces/{theirs['id']}", headers=owner.headers, status=403)
    testapp.get(ASSIGNMENTS, {"workspace_id": mine["id"]}, headers=owner.headers, status=200)
    testapp.get(ASSIGNMENTS, {"workspace_id": theirs["id"]}, headers=owner.headers, status=403)
    testapp.get(ASSIGNMENTS, headers=owner.headers, status=403)
    testapp.delete(f"{ASSIGNMENTS}/{inside.json['id']}", headers=owner.headers, status=204)


def test_tenant_assignment_applies_in_every_workspace(testapp, admin, factory):
    auditor = factory.user()
    workspace = make_workspace(testapp, admin.headers, "any")
    assign(testapp, admin.headers, AUDITOR_ROLE_ID, auditor.user_id)

    testapp.get(f"/api/v1/workspaces/{workspace['id']}", headers=auditor.headers, status=200)


# --- Effective permissions -------------------------------------------------------------------


def test_effective_permissions_explain_sources(testapp, admin, factory):
    user = factory.user()
    workspace = make_workspace(testapp, admin.headers, "ws")
    tenant = assign(testapp, admin.headers, AUDITOR_ROLE_ID, user.user_id).json
    scoped = assign(
        testapp, admin.headers, WORKSPACE_OWNER_ROLE_ID, user.user_id, workspace_id=workspace["id"]
    ).json
    path = f"/api/v1/users/{user.user_id}/effectivePermissions"

    tenant_view = testapp.get(path, headers=admin.headers).json
    workspace_view = testapp.get(
        path, {"workspace_id": workspace["id"]}, headers=admin.headers
    ).json

    tenant_names = {item["permission"] for item in tenant_view["items"]}
    workspace_names = {item["permission"] for item in workspace_view["items"]}
    assert "invitations.write" not in tenant_names
    assert "invitations.write" in workspace_names
    assert "users.read" in workspace_names
    reads = next(
        item for item in workspace_view["items"] if item["permission"] == "workspaces.read"
    )
    assert {source["assignment_id"] for source in reads["granted_by"]} == {
        tenant["id"],
        scoped["id"],
    }


def test_effective_permissions_of_admin_expand_wildcard(testapp, admin):
    body = testapp.get(
        f"/api/v1/users/{admin.user_id}/effectivePermissions", headers=admin.headers
    ).json
    assert len(body["items"]) == len(CORE_PERMISSIONS)


def test_user_can_read_own_effective_permissions(testapp, factory, admin):
    user = factory.user()
    other = factory.user()

    testapp.get(
        f"/api/v1/users/{user.user_id}/effectivePermissions", headers=user.headers, status=200
    )
    testapp.get(
        f"/api/v1/users/{other.user_id}/effectivePermissions", headers=user.headers, status=403
    )


def test_effective_permissions_errors(testapp, admin):
    path = f"/api/v1/users/{admin.user_id}/effectivePermissions"
    testapp.get(path, {"workspace_id": "missing"}, headers=admin.headers, status=404)
    testapp.get(path, {"scope": "x"}, headers=admin.headers, status=400)
    testapp.get("/api/v1/users/missing/effectivePermissions", headers=admin.headers, status=404)
    testapp.get(path, status=401)


def test_workspace_owner_lists_only_its_workspaces(testapp, admin, factory):
    owner = factory.user()
    mine = make_workspace(testapp, admin.headers, "mine")
    make_workspace(testapp, admin.headers, "theirs")
    assign(testapp, admin.headers, WORKSPACE_OWNER_ROLE_ID, owner.user_id, workspace_id=mine["id"])

    body = testapp.get("/api/v1/workspaces", headers=owner.headers).json

    assert [workspace["id"] for workspace in body["items"]] == [mine["id"]]
    testapp.get("/api/v1/workspaces", headers=factory.user().headers, status=403)
    assert len(testapp.get("/api/v1/workspaces", headers=admin.headers).json["items"]) == 2


def test_assignment_without_permission_hides_unknown_ids(testapp, factory):
    response = assign(testapp, factory.user().headers, "missing-role", "missing-user", status=403)
    assert response.content_type == PROBLEM
