"""The workspaces API and workspace role assignments over HTTP."""

from __future__ import annotations

import threading

import pytest
import webtest

from access_platform.rbac.models import (
    AUDITOR_ROLE_ID,
    TENANT_ADMIN_ROLE_ID,
    USER_ADMIN_ROLE_ID,
    WORKSPACE_MEMBER_ROLE_ID,
    WORKSPACE_OWNER_ROLE_ID,
)

WORKSPACES = "/api/v1/workspaces"
ASSIGNMENTS = "/api/v1/roleAssignments"
INVITATIONS = "/api/v1/invitations"
PROBLEM = "application/problem+json"
UNKNOWN_ID = "00000000-0000-4000-8000-00000000abcd"


def create_workspace(testapp, headers, name="Research", status=201, **fields):
    return testapp.post_json(WORKSPACES, {"name": name, **fields}, headers=headers, status=status)


def workspace_url(workspace_id: str) -> str:
    return f"{WORKSPACES}/{workspace_id}"


def assignments_url(workspace_id: str) -> str:
    return f"{WORKSPACES}/{workspace_id}/roleAssignments"


def assign(testapp, headers, workspace_id, role_id, principal_id, status=201, kind="user"):
    body = {"role_id": role_id, "principal_type": kind, "principal_id": principal_id}
    return testapp.post_json(assignments_url(workspace_id), body, headers=headers, status=status)


def pointers(response) -> set[str]:
    return {error["pointer"] for error in response.json["errors"]}


@pytest.fixture
def workspace(testapp, admin) -> dict:
    return create_workspace(testapp, admin.headers, "Research").json


@pytest.fixture
def other_workspace(testapp, admin) -> dict:
    return create_workspace(testapp, admin.headers, "Marketing").json


@pytest.fixture
def owner(testapp, admin, factory, workspace):
    """A user holding the built-in Workspace owner role in ``workspace`` only."""
    principal = factory.user("owner@example.com")
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_OWNER_ROLE_ID, principal.user_id)
    return principal


# --- Create ----------------------------------------------------------------------


def test_create_returns_201_with_location_and_etag(testapp, admin):
    response = create_workspace(testapp, admin.headers, "Research", description="Lab work")

    body = response.json
    assert response.headers["Location"] == f"http://localhost{WORKSPACES}/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["name"] == "Research"
    assert body["description"] == "Lab work"
    assert body["created_at"].endswith("Z")
    assert body["updated_at"].endswith("Z")
    assert set(body) == {"id", "name", "description", "created_at", "updated_at"}


def test_create_without_description(testapp, admin):
    body = create_workspace(testapp, admin.headers, "Plain").json
    assert body["description"] is None


def test_created_workspace_is_readable(testapp, admin):
    created = create_workspace(testapp, admin.headers).json

    response = testapp.get(workspace_url(created["id"]), headers=admin.headers)

    assert response.json == created
    assert response.headers["ETag"] == '"1"'


def test_create_duplicate_name_gets_409(testapp, admin):
    create_workspace(testapp, admin.headers, "Research")

    response = create_workspace(testapp, admin.headers, "RESEARCH", status=409)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:workspace-name-taken"
    listed = testapp.get(WORKSPACES, headers=admin.headers).json
    assert [item["name"] for item in listed["items"]] == ["Research"]


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"name": ""}, "#/name"),
        ({"name": "   "}, "#/name"),
        ({"name": None}, "#/name"),
        ({"name": 5}, "#/name"),
        ({"name": "x" * 256}, "#/name"),
        ({"description": 5}, "#/description"),
        ({"description": "x" * 1025}, "#/description"),
        ({"id": "chosen-id"}, "#/id"),
        ({"created_at": "2026-01-01T00:00:00Z"}, "#/created_at"),
        ({"updated_at": "2026-01-01T00:00:00Z"}, "#/updated_at"),
        ({"owner": "someone"}, "#/owner"),
    ],
)
def test_create_rejects_invalid_field(testapp, admin, fields, pointer):
    body = {"name": "Valid", **fields}

    response = testapp.post_json(WORKSPACES, body, headers=admin.headers, status=422)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:validation-failed"
    assert pointer in pointers(response)
    assert testapp.get(WORKSPACES, headers=admin.headers).json["items"] == []


def test_create_without_name_gets_422(testapp, admin):
    response = testapp.post_json(
        WORKSPACES, {"description": "x"}, headers=admin.headers, status=422
    )
    assert pointers(response) == {"#/name"}


def test_create_read_only_field_is_named(testapp, admin):
    response = testapp.post_json(
        WORKSPACES, {"name": "Valid", "id": "x"}, headers=admin.headers, status=422
    )
    assert response.json["errors"] == [
        {"pointer": "#/id", "detail": "Read-only field; it cannot be set or changed."}
    ]


def test_create_without_credentials_gets_401(testapp):
    response = testapp.post_json(WORKSPACES, {"name": "Research"}, status=401)
    assert response.content_type == PROBLEM


def test_create_without_permission_gets_403(testapp, factory):
    response = create_workspace(testapp, factory.user().headers, status=403)
    assert response.content_type == PROBLEM


def test_create_as_user_administrator_gets_403(testapp, admin, factory):
    user_admin = factory.user()
    testapp.post_json(
        ASSIGNMENTS,
        {
            "role_id": USER_ADMIN_ROLE_ID,
            "principal_type": "user",
            "principal_id": user_admin.user_id,
        },
        headers=admin.headers,
    )

    create_workspace(testapp, user_admin.headers, status=403)


# --- Read and list ------------------------------------------------------------------


def test_list_envelope(testapp, admin, workspace):
    body = testapp.get(WORKSPACES, headers=admin.headers).json

    assert set(body) == {"items", "next_cursor"}
    assert body["next_cursor"] is None
    assert body["items"] == [workspace]


def test_list_sorts_by_name_ignoring_case(testapp, admin):
    for name in ("charlie", "Alpha", "bravo"):
        create_workspace(testapp, admin.headers, name)

    body = testapp.get(WORKSPACES, headers=admin.headers).json

    assert [item["name"] for item in body["items"]] == ["Alpha", "bravo", "charlie"]


def test_list_filters_by_name_prefix(testapp, admin):
    for name in ("Research", "Resources", "Marketing"):
        create_workspace(testapp, admin.headers, name)

    body = testapp.get(WORKSPACES, {"q": "res"}, headers=admin.headers).json

    assert [item["name"] for item in body["items"]] == ["Research", "Resources"]


def test_list_pages_with_cursor(testapp, admin):
    for index in range(5):
        create_workspace(testapp, admin.headers, f"ws-{index}")

    seen: list[str] = []
    params = {"limit": "2", "count": "true"}
    first = testapp.get(WORKSPACES, params, headers=admin.headers).json
    assert first["total"] == 5
    seen.extend(item["name"] for item in first["items"])
    cursor = first["next_cursor"]
    while cursor:
        page = testapp.get(WORKSPACES, {**params, "cursor": cursor}, headers=admin.headers).json
        seen.extend(item["name"] for item in page["items"])
        cursor = page["next_cursor"]

    assert seen == [f"ws-{index}" for index in range(5)]


def test_list_rejects_unknown_parameter(testapp, admin):
    response = testapp.get(WORKSPACES, {"colour": "red"}, headers=admin.headers, status=400)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:invalid-query-parameter"


def test_list_without_credentials_gets_401(testapp):
    testapp.get(WORKSPACES, status=401)


def test_list_without_permission_gets_403(testapp, factory):
    testapp.get(WORKSPACES, headers=factory.user().headers, status=403)


def test_list_as_auditor(testapp, admin, factory, workspace):
    auditor = factory.user()
    testapp.post_json(
        ASSIGNMENTS,
        {"role_id": AUDITOR_ROLE_ID, "principal_type": "user", "principal_id": auditor.user_id},
        headers=admin.headers,
    )

    body = testapp.get(WORKSPACES, headers=auditor.headers).json

    assert [item["id"] for item in body["items"]] == [workspace["id"]]


def test_get_unknown_workspace_gets_404(testapp, admin):
    response = testapp.get(workspace_url(UNKNOWN_ID), headers=admin.headers, status=404)
    assert response.content_type == PROBLEM


def test_get_without_credentials_gets_401(testapp, workspace):
    response = testapp.get(workspace_url(workspace["id"]), status=401)
    assert response.content_type == PROBLEM


def test_get_without_permission_gets_403(testapp, factory, workspace):
    response = testapp.get(
        workspace_url(workspace["id"]), headers=factory.user().headers, status=403
    )
    assert response.content_type == PROBLEM


# --- Patch ---------------------------------------------------------------------------


def test_patch_changes_name_and_etag(testapp, admin, workspace):
    response = testapp.patch_json(
        workspace_url(workspace["id"]),
        {"name": "Research and Development"},
        headers={**admin.headers, "If-Match": '"1"'},
    )

    assert response.headers["ETag"] == '"2"'
    assert response.json["name"] == "Research and Development"
    assert response.json["description"] is None
    fetched = testapp.get(workspace_url(workspace["id"]), headers=admin.headers).json
    assert fetched["name"] == "Research and Development"


def test_patch_without_if_match(testapp, admin, workspace):
    response = testapp.patch_json(
        workspace_url(workspace["id"]), {"description": "Lab work"}, headers=admin.headers
    )

    assert response.json["description"] == "Lab work"
    assert response.json["name"] == "Research"


def test_patch_null_clears_description(testapp, admin):
    created = create_workspace(testapp, admin.headers, "Research", description="Lab work").json

    response = testapp.patch_json(
        workspace_url(created["id"]), {"description": None}, headers=admin.headers
    )

    assert response.json["description"] is None


def test_patch_without_change_keeps_etag(testapp, admin, workspace):
    response = testapp.patch_json(
        workspace_url(workspace["id"]), {"name": "Research"}, headers=admin.headers
    )

    assert response.headers["ETag"] == '"1"'
    assert response.json["updated_at"] == workspace["updated_at"]


def test_patch_own_name_in_other_case(testapp, admin, workspace):
    response = testapp.patch_json(
        workspace_url(workspace["id"]), {"name": "RESEARCH"}, headers=admin.headers
    )
    assert response.json["name"] == "RESEARCH"


def test_patch_stale_if_match_gets_412(testapp, admin, workspace):
    url = workspace_url(workspace["id"])
    testapp.patch_json(url, {"description": "first"}, headers=admin.headers)

    response = testapp.patch_json(
        url, {"description": "second"}, headers={**admin.headers, "If-Match": '"1"'}, status=412
    )

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:precondition-failed"
    assert response.headers["ETag"] == '"2"'
    assert testapp.get(url, headers=admin.headers).json["description"] == "first"


def test_patch_to_taken_name_gets_409(testapp, admin, workspace, other_workspace):
    response = testapp.patch_json(
        workspace_url(other_workspace["id"]),
        {"name": "research"},
        headers=admin.headers,
        status=409,
    )

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:workspace-name-taken"
    fetched = testapp.get(workspace_url(other_workspace["id"]), headers=admin.headers).json
    assert fetched["name"] == "Marketing"


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"name": ""}, "#/name"),
        ({"name": None}, "#/name"),
        ({"name": "x" * 256}, "#/name"),
        ({"description": "x" * 1025}, "#/description"),
        ({"id": UNKNOWN_ID}, "#/id"),
        ({"created_at": "2026-01-01T00:00:00Z"}, "#/created_at"),
        ({"updated_at": "2026-01-01T00:00:00Z"}, "#/updated_at"),
        ({"owner": "someone"}, "#/owner"),
    ],
)
def test_patch_rejects_invalid_field(testapp, admin, workspace, fields, pointer):
    url = workspace_url(workspace["id"])

    response = testapp.patch_json(url, fields, headers=admin.headers, status=422)

    assert response.content_type == PROBLEM
    assert pointer in pointers(response)
    assert testapp.get(url, headers=admin.headers).json == workspace


def test_patch_unknown_workspace_gets_404(testapp, admin):
    testapp.patch_json(workspace_url(UNKNOWN_ID), {"name": "x"}, headers=admin.headers, status=404)


def test_patch_without_credentials_gets_401(testapp, workspace):
    testapp.patch_json(workspace_url(workspace["id"]), {"name": "x"}, status=401)


def test_patch_without_permission_gets_403(testapp, factory, workspace):
    reader = factory.user()
    testapp.patch_json(
        workspace_url(workspace["id"]), {"name": "x"}, headers=reader.headers, status=403
    )


# --- Delete --------------------------------------------------------------------------


def test_delete_returns_204(testapp, admin, workspace):
    url = workspace_url(workspace["id"])

    response = testapp.delete(url, headers=admin.headers, status=204)

    assert response.body == b""
    testapp.get(url, headers=admin.headers, status=404)


def test_delete_frees_name(testapp, admin, workspace):
    testapp.delete(workspace_url(workspace["id"]), headers=admin.headers, status=204)
    create_workspace(testapp, admin.headers, "research")


def test_delete_with_assignment_gets_409(testapp, admin, factory, workspace):
    member = factory.user()
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    response = testapp.delete(workspace_url(workspace["id"]), headers=admin.headers, status=409)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:workspace-in-use"
    assert response.json["role_assignments"] == 1
    assert response.json["pending_invitations"] == 0
    testapp.get(workspace_url(workspace["id"]), headers=admin.headers, status=200)


def test_delete_with_pending_invitation_gets_409(testapp, admin, workspace):
    testapp.post_json(
        INVITATIONS,
        {
            "email": "new@example.com",
            "workspace_id": workspace["id"],
            "role_id": WORKSPACE_MEMBER_ROLE_ID,
        },
        headers=admin.headers,
    )

    response = testapp.delete(workspace_url(workspace["id"]), headers=admin.headers, status=409)

    assert response.json["type"] == "urn:access-platform:problem:workspace-in-use"
    assert response.json["pending_invitations"] == 1
    testapp.get(workspace_url(workspace["id"]), headers=admin.headers, status=200)


def test_delete_force_removes_dependents(testapp, admin, factory, workspace, other_workspace):
    member = factory.user()
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)
    kept_assignment = assign(
        testapp, admin.headers, other_workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id
    ).json
    invitation = testapp.post_json(
        INVITATIONS,
        {
            "email": "new@example.com",
            "workspace_id": workspace["id"],
            "role_id": WORKSPACE_MEMBER_ROLE_ID,
        },
        headers=admin.headers,
    ).json

    testapp.delete(
        workspace_url(workspace["id"]) + "?force=true", headers=admin.headers, status=204
    )

    testapp.get(workspace_url(workspace["id"]), headers=admin.headers, status=404)
    testapp.get(f"{INVITATIONS}/{invitation['id']}", headers=admin.headers, status=404)
    remaining = testapp.get(
        ASSIGNMENTS, {"principal_id": member.user_id}, headers=admin.headers
    ).json
    assert [item["id"] for item in remaining["items"]] == [kept_assignment["id"]]
    invited = testapp.get(
        ASSIGNMENTS, {"principal_id": invitation["user_id"]}, headers=admin.headers
    )
    assert invited.json["items"] == []


def test_delete_force_with_no_dependents(testapp, admin, workspace):
    testapp.delete(
        workspace_url(workspace["id"]) + "?force=true", headers=admin.headers, status=204
    )


def test_delete_force_false_still_checks(testapp, admin, factory, workspace):
    member = factory.user()
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    testapp.delete(
        workspace_url(workspace["id"]) + "?force=false", headers=admin.headers, status=409
    )


def test_delete_invalid_force_gets_400(testapp, admin, workspace):
    response = testapp.delete(
        workspace_url(workspace["id"]) + "?force=yes", headers=admin.headers, status=400
    )

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:invalid-query-parameter"
    testapp.get(workspace_url(workspace["id"]), headers=admin.headers, status=200)


def test_delete_stale_if_match_gets_412(testapp, admin, workspace):
    url = workspace_url(workspace["id"])
    testapp.patch_json(url, {"description": "changed"}, headers=admin.headers)

    response = testapp.delete(url, headers={**admin.headers, "If-Match": '"1"'}, status=412)

    assert response.content_type == PROBLEM
    testapp.get(url, headers=admin.headers, status=200)


def test_delete_unknown_workspace_gets_404(testapp, admin):
    testapp.delete(workspace_url(UNKNOWN_ID), headers=admin.headers, status=404)


def test_delete_without_credentials_gets_401(testapp, workspace):
    testapp.delete(workspace_url(workspace["id"]), status=401)


def test_delete_without_permission_gets_403(testapp, admin, factory, workspace):
    response = testapp.delete(
        workspace_url(workspace["id"]), headers=factory.user().headers, status=403
    )

    assert response.content_type == PROBLEM
    testapp.get(workspace_url(workspace["id"]), headers=admin.headers, status=200)


# --- Workspace owner -----------------------------------------------------------------


def test_owner_reads_own_workspace(testapp, owner, workspace):
    body = testapp.get(workspace_url(workspace["id"]), headers=owner.headers).json
    assert body["id"] == workspace["id"]


def test_owner_gets_403_on_other_workspace(testapp, owner, other_workspace):
    response = testapp.get(workspace_url(other_workspace["id"]), headers=owner.headers, status=403)
    assert response.content_type == PROBLEM


def test_owner_cannot_patch_workspace(testapp, owner, workspace):
    testapp.patch_json(
        workspace_url(workspace["id"]), {"name": "Mine"}, headers=owner.headers, status=403
    )


def test_owner_cannot_delete_workspace(testapp, owner, workspace):
    testapp.delete(workspace_url(workspace["id"]), headers=owner.headers, status=403)


def test_member_reads_own_workspace(testapp, admin, factory, workspace, other_workspace):
    member = factory.user()
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    testapp.get(workspace_url(workspace["id"]), headers=member.headers, status=200)
    testapp.get(workspace_url(other_workspace["id"]), headers=member.headers, status=403)


# --- Role assignments ---------------------------------------------------------------


def test_assign_returns_201_with_location(testapp, admin, factory, workspace):
    member = factory.user()

    response = assign(
        testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id
    )

    body = response.json
    assert response.headers["Location"] == f"http://localhost{ASSIGNMENTS}/{body['id']}"
    assert body["role_id"] == WORKSPACE_MEMBER_ROLE_ID
    assert body["principal_type"] == "user"
    assert body["principal_id"] == member.user_id
    assert body["scope"] == "workspace"
    assert body["workspace_id"] == workspace["id"]
    assert body["created_by"] == f"user:{admin.user_id}"
    assert body["created_at"].endswith("Z")


def test_assign_gives_access(testapp, admin, factory, workspace):
    member = factory.user()
    testapp.get(workspace_url(workspace["id"]), headers=member.headers, status=403)

    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    testapp.get(workspace_url(workspace["id"]), headers=member.headers, status=200)


def test_assign_to_group(testapp, admin, workspace):
    group = testapp.post_json("/api/v1/groups", {"display_name": "Lab"}, headers=admin.headers)

    body = assign(
        testapp,
        admin.headers,
        workspace["id"],
        WORKSPACE_MEMBER_ROLE_ID,
        group.json["id"],
        kind="group",
    ).json

    assert body["principal_type"] == "group"
    assert body["principal_id"] == group.json["id"]


def test_assignment_list_envelope(testapp, admin, factory, workspace):
    member = factory.user()
    created = assign(
        testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id
    ).json

    body = testapp.get(assignments_url(workspace["id"]), headers=admin.headers).json

    assert set(body) == {"items", "next_cursor"}
    assert body["next_cursor"] is None
    assert body["items"] == [created]


def test_assignment_list_is_per_workspace(testapp, admin, factory, workspace, other_workspace):
    member = factory.user()
    in_workspace = assign(
        testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id
    ).json
    assign(testapp, admin.headers, other_workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    body = testapp.get(assignments_url(workspace["id"]), headers=admin.headers).json

    assert [item["id"] for item in body["items"]] == [in_workspace["id"]]


def test_assignment_list_excludes_tenant_roles(testapp, admin, workspace):
    body = testapp.get(assignments_url(workspace["id"]), headers=admin.headers).json
    assert body["items"] == []


def test_assignment_list_filters_by_role(testapp, admin, factory, workspace):
    member = factory.user()
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)
    owned = assign(
        testapp, admin.headers, workspace["id"], WORKSPACE_OWNER_ROLE_ID, member.user_id
    ).json

    body = testapp.get(
        assignments_url(workspace["id"]),
        {"role_id": WORKSPACE_OWNER_ROLE_ID},
        headers=admin.headers,
    ).json

    assert [item["id"] for item in body["items"]] == [owned["id"]]


def test_assignment_list_rejects_workspace_id(testapp, admin, workspace, other_workspace):
    response = testapp.get(
        assignments_url(workspace["id"]),
        {"workspace_id": other_workspace["id"]},
        headers=admin.headers,
        status=400,
    )

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:invalid-query-parameter"


def test_assignment_list_unknown_workspace_gets_404(testapp, admin):
    testapp.get(assignments_url(UNKNOWN_ID), headers=admin.headers, status=404)


def test_assignment_list_without_credentials_gets_401(testapp, workspace):
    testapp.get(assignments_url(workspace["id"]), status=401)


def test_assignment_list_without_permission_gets_403(testapp, factory, workspace):
    testapp.get(assignments_url(workspace["id"]), headers=factory.user().headers, status=403)


def test_assignment_list_as_member_gets_403(testapp, admin, factory, workspace):
    member = factory.user()
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    testapp.get(assignments_url(workspace["id"]), headers=member.headers, status=403)


def test_assignment_list_as_auditor(testapp, admin, factory, workspace):
    auditor = factory.user()
    testapp.post_json(
        ASSIGNMENTS,
        {"role_id": AUDITOR_ROLE_ID, "principal_type": "user", "principal_id": auditor.user_id},
        headers=admin.headers,
    )

    testapp.get(assignments_url(workspace["id"]), headers=auditor.headers, status=200)
    assign(
        testapp,
        auditor.headers,
        workspace["id"],
        WORKSPACE_MEMBER_ROLE_ID,
        auditor.user_id,
        status=403,
    )


def test_assign_unknown_role_gets_404(testapp, admin, factory, workspace):
    response = assign(
        testapp, admin.headers, workspace["id"], UNKNOWN_ID, factory.user().user_id, status=404
    )
    assert response.content_type == PROBLEM


def test_assign_unknown_user_gets_404(testapp, admin, workspace):
    response = assign(
        testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, UNKNOWN_ID, status=404
    )
    assert response.content_type == PROBLEM


def test_assign_unknown_group_gets_404(testapp, admin, workspace):
    assign(
        testapp,
        admin.headers,
        workspace["id"],
        WORKSPACE_MEMBER_ROLE_ID,
        UNKNOWN_ID,
        status=404,
        kind="group",
    )


def test_assign_in_unknown_workspace_gets_404(testapp, admin, factory):
    response = assign(
        testapp,
        admin.headers,
        UNKNOWN_ID,
        WORKSPACE_MEMBER_ROLE_ID,
        factory.user().user_id,
        status=404,
    )
    assert response.content_type == PROBLEM


@pytest.mark.parametrize("role_id", [TENANT_ADMIN_ROLE_ID, USER_ADMIN_ROLE_ID, AUDITOR_ROLE_ID])
def test_assign_tenant_role_gets_422(testapp, admin, factory, workspace, role_id):
    member = factory.user()

    response = assign(testapp, admin.headers, workspace["id"], role_id, member.user_id, status=422)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:validation-failed"
    listed = testapp.get(assignments_url(workspace["id"]), headers=admin.headers).json
    assert listed["items"] == []


def test_assign_duplicate_gets_409(testapp, admin, factory, workspace):
    member = factory.user()
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    response = assign(
        testapp,
        admin.headers,
        workspace["id"],
        WORKSPACE_MEMBER_ROLE_ID,
        member.user_id,
        status=409,
    )

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:already-assigned"
    listed = testapp.get(assignments_url(workspace["id"]), headers=admin.headers).json
    assert len(listed["items"]) == 1


def test_assign_same_role_in_two_workspaces(testapp, admin, factory, workspace, other_workspace):
    member = factory.user()
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    assign(testapp, admin.headers, other_workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    assignments = testapp.get(
        ASSIGNMENTS, {"principal_id": member.user_id}, headers=admin.headers
    ).json
    assert {item["workspace_id"] for item in assignments["items"]} == {
        workspace["id"],
        other_workspace["id"],
    }


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"role_id": None}, "#/role_id"),
        ({"role_id": ""}, "#/role_id"),
        ({"principal_type": "robot"}, "#/principal_type"),
        ({"principal_id": 5}, "#/principal_id"),
        ({"workspace_id": UNKNOWN_ID}, "#/workspace_id"),
        ({"id": UNKNOWN_ID}, "#/id"),
        ({"scope": "tenant"}, "#/scope"),
        ({"created_by": "user:x"}, "#/created_by"),
    ],
)
def test_assign_rejects_invalid_field(testapp, admin, factory, workspace, fields, pointer):
    body = {
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
        "principal_type": "user",
        "principal_id": factory.user().user_id,
        **fields,
    }

    response = testapp.post_json(
        assignments_url(workspace["id"]), body, headers=admin.headers, status=422
    )

    assert response.content_type == PROBLEM
    assert pointer in pointers(response)


def test_assign_without_credentials_gets_401(testapp, factory, workspace):
    body = {
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
        "principal_type": "user",
        "principal_id": factory.user().user_id,
    }
    response = testapp.post_json(assignments_url(workspace["id"]), body, status=401)
    assert response.content_type == PROBLEM


def test_assign_without_permission_gets_403(testapp, admin, factory, workspace):
    caller = factory.user()

    response = assign(
        testapp,
        caller.headers,
        workspace["id"],
        WORKSPACE_OWNER_ROLE_ID,
        caller.user_id,
        status=403,
    )

    assert response.content_type == PROBLEM
    listed = testapp.get(assignments_url(workspace["id"]), headers=admin.headers).json
    assert listed["items"] == []


def test_owner_assigns_member_role(testapp, owner, factory, workspace):
    member = factory.user()

    response = assign(
        testapp, owner.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id
    )

    assert response.json["created_by"] == f"user:{owner.user_id}"
    testapp.get(workspace_url(workspace["id"]), headers=member.headers, status=200)


def test_owner_assigns_owner_role(testapp, owner, factory, workspace):
    # The owner has every permission of the Workspace owner role, so granting it adds nothing.
    colleague = factory.user()

    assign(testapp, owner.headers, workspace["id"], WORKSPACE_OWNER_ROLE_ID, colleague.user_id)

    testapp.get(assignments_url(workspace["id"]), headers=colleague.headers, status=200)


def test_owner_lists_own_assignments(testapp, owner, workspace):
    body = testapp.get(assignments_url(workspace["id"]), headers=owner.headers).json

    assert [item["principal_id"] for item in body["items"]] == [owner.user_id]


def test_owner_gets_403_listing_other_workspace(testapp, owner, other_workspace):
    testapp.get(assignments_url(other_workspace["id"]), headers=owner.headers, status=403)


def test_owner_gets_403_assigning_other_workspace(testapp, admin, owner, factory, other_workspace):
    member = factory.user()

    response = assign(
        testapp,
        owner.headers,
        other_workspace["id"],
        WORKSPACE_MEMBER_ROLE_ID,
        member.user_id,
        status=403,
    )

    assert response.content_type == PROBLEM
    listed = testapp.get(assignments_url(other_workspace["id"]), headers=admin.headers).json
    assert listed["items"] == []


def test_owner_cannot_grant_more_than_held(testapp, admin, owner, factory, workspace):
    role = testapp.post_json(
        "/api/v1/roles",
        {"name": "User editor", "scope": "workspace", "permissions": ["users.write"]},
        headers=admin.headers,
    ).json
    member = factory.user()

    response = assign(
        testapp, owner.headers, workspace["id"], role["id"], member.user_id, status=403
    )

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:grant-exceeds-holdings"
    assert response.json["missing_permissions"] == ["users.write"]
    listed = testapp.get(
        assignments_url(workspace["id"]), {"role_id": role["id"]}, headers=admin.headers
    ).json
    assert listed["items"] == []


def test_admin_grants_custom_workspace_role(testapp, admin, factory, workspace):
    role = testapp.post_json(
        "/api/v1/roles",
        {"name": "User editor", "scope": "workspace", "permissions": ["users.write"]},
        headers=admin.headers,
    ).json
    member = factory.user()

    assign(testapp, admin.headers, workspace["id"], role["id"], member.user_id)


def test_owner_assignment_removed_by_force_delete(testapp, admin, owner, workspace):
    testapp.delete(
        workspace_url(workspace["id"]) + "?force=true", headers=admin.headers, status=204
    )

    remaining = testapp.get(
        ASSIGNMENTS, {"principal_id": owner.user_id}, headers=admin.headers
    ).json
    assert remaining["items"] == []


# --- Concurrency ---------------------------------------------------------------------


def run_concurrently(wsgi_app, headers, url: str, bodies: list[dict]) -> list[int]:
    """POST the bodies to ``url`` from parallel threads and return the statuses."""
    statuses: list[int] = []
    barrier = threading.Barrier(len(bodies))

    def attempt(body: dict) -> None:
        app = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        barrier.wait()
        response = app.post_json(url, body, headers=headers, expect_errors=True)
        statuses.append(response.status_int)

    threads = [threading.Thread(target=attempt, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_creates_give_one_201(testapp, wsgi_app, admin):
    bodies = [{"name": name} for name in ("Race", "RACE", "race", "rAcE")]

    statuses = run_concurrently(wsgi_app, admin.headers, WORKSPACES, bodies)

    assert sorted(statuses) == [201, 409, 409, 409]
    assert len(testapp.get(WORKSPACES, headers=admin.headers).json["items"]) == 1


def test_concurrent_assigns_give_one_201(testapp, wsgi_app, admin, factory, workspace):
    member = factory.user()
    body = {
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
        "principal_type": "user",
        "principal_id": member.user_id,
    }

    statuses = run_concurrently(
        wsgi_app, admin.headers, assignments_url(workspace["id"]), [body] * 4
    )

    assert sorted(statuses) == [201, 409, 409, 409]
    assert (
        len(testapp.get(assignments_url(workspace["id"]), headers=admin.headers).json["items"]) == 1
    )
