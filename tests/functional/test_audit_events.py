"""Audit events over HTTP: what each change through /api/v1, $batch and /scim/v2 records."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from access_platform.hookspecs import hookimpl
from access_platform.rbac.models import WORKSPACE_MEMBER_ROLE_ID
from tests.functional.audit_helpers import REDACTED, actions, audit_events, only_event
from tests.functional.scim_helpers import GROUP_URN, USER_URN, Scim

USERS = "/api/v1/users"
GROUPS = "/api/v1/groups"
ROLES = "/api/v1/roles"
ASSIGNMENTS = "/api/v1/roleAssignments"
WORKSPACES = "/api/v1/workspaces"
INVITATIONS = "/api/v1/invitations"
TOKENS = "/api/v1/admin/scim/tokens"
BATCH = "/api/v1/$batch"
LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
JSON = {"Content-Type": "application/json"}
PASSWORD = "correct horse battery"


@dataclass
class TokenCapture:
    """A throwaway plugin that keeps the acceptance token of each issued invitation."""

    tokens: dict[str, str] = field(default_factory=dict)

    @hookimpl
    def access_platform_invitation_issued(self, invitation, token, event, settings):
        self.tokens[invitation.id] = token


@pytest.fixture
def invitation_tokens(registry):
    capture = TokenCapture()
    registry.plugin_manager.register(capture, name="audit-token-capture")
    try:
        yield capture.tokens
    finally:
        registry.plugin_manager.unregister(name="audit-token-capture")


def make_user(testapp, admin, user_name="kim@example.com", **fields) -> dict:
    return testapp.post_json(USERS, {"user_name": user_name, **fields}, headers=admin.headers).json


def make_group(testapp, admin, display_name="Engineering") -> dict:
    return testapp.post_json(GROUPS, {"display_name": display_name}, headers=admin.headers).json


def make_workspace(testapp, admin, name="Research") -> dict:
    return testapp.post_json(WORKSPACES, {"name": name}, headers=admin.headers).json


# --- Users --------------------------------------------------------------------------------


def test_user_create_event_fields(testapp, admin):
    response = testapp.post_json(
        USERS,
        {"user_name": "kim@example.com", "display_name": "Kim", "password": PASSWORD},
        headers={**admin.headers, "X-Request-Id": "create-kim"},
        extra_environ={"REMOTE_ADDR": "192.0.2.10"},
    )

    event = only_event(testapp, admin.headers, action="user.create")
    assert event["actor"] == {
        "type": "user",
        "id": admin.user_id,
        "auth_method": "api_key",
        "credential_id": admin.api_key_id,
    }
    assert event["target"] == {"type": "user", "id": response.json["id"]}
    assert event["changes"]["user_name"] == "kim@example.com"
    assert event["changes"]["display_name"] == "Kim"
    assert event["changes"]["status"] == "active"
    assert event["changes"]["source"] == "local"
    assert event["changes"]["password"] == REDACTED
    assert "password_hash" not in event["changes"]
    assert event["request_id"] == "create-kim"
    assert event["client_address"] == "192.0.2.10"
    assert event["occurred_at"].endswith("Z")


def test_client_address_ignores_x_forwarded_for(testapp, admin):
    testapp.post_json(
        USERS,
        {"user_name": "kim@example.com"},
        headers={**admin.headers, "X-Forwarded-For": "203.0.113.9"},
        extra_environ={"REMOTE_ADDR": "192.0.2.10"},
    )

    event = only_event(testapp, admin.headers, action="user.create")
    assert event["client_address"] == "192.0.2.10"


def test_user_update_records_changed_fields_only(testapp, admin):
    user = make_user(testapp, admin, display_name="Kim")

    testapp.patch_json(
        f"{USERS}/{user['id']}",
        {"display_name": "Kim Lee", "given_name": "Kim", "user_name": "kim@example.com"},
        headers=admin.headers,
    )

    event = only_event(testapp, admin.headers, action="user.update")
    assert event["target"] == {"type": "user", "id": user["id"]}
    assert event["changes"] == {"display_name": "Kim Lee", "given_name": "Kim"}


def test_noop_user_patch_records_nothing(testapp, admin):
    user = make_user(testapp, admin, display_name="Kim")

    testapp.patch_json(f"{USERS}/{user['id']}", {"display_name": "Kim"}, headers=admin.headers)

    assert audit_events(testapp, admin.headers, action="user.update") == []


def test_user_password_change_is_redacted(testapp, admin):
    user = make_user(testapp, admin)

    testapp.patch_json(f"{USERS}/{user['id']}", {"password": PASSWORD}, headers=admin.headers)

    event = only_event(testapp, admin.headers, action="user.update")
    assert event["changes"] == {"password": REDACTED}


def test_user_deactivate_records_once(testapp, admin):
    user = make_user(testapp, admin)
    url = f"{USERS}/{user['id']}/deactivate"

    testapp.post(url, headers=admin.headers)
    testapp.post(url, headers=admin.headers)

    event = only_event(testapp, admin.headers, action="user.deactivate")
    assert event["target"] == {"type": "user", "id": user["id"]}
    assert event["changes"] == {"status": "deactivated"}


def test_failed_user_create_records_nothing(testapp, admin):
    make_user(testapp, admin, "kim@example.com")

    testapp.post_json(USERS, {"user_name": "KIM@example.com"}, headers=admin.headers, status=409)

    assert len(audit_events(testapp, admin.headers, action="user.create")) == 1


# --- Groups, members and owners ---------------------------------------------------------------


def test_group_create_update_delete(testapp, admin):
    group = make_group(testapp, admin)
    user = make_user(testapp, admin)
    url = f"{GROUPS}/{group['id']}"
    testapp.post_json(
        f"{url}/members/$ref", {"@odata.id": f"users/{user['id']}"}, headers=admin.headers
    )

    testapp.patch_json(url, {"description": "Builds things"}, headers=admin.headers)
    testapp.delete(url, headers=admin.headers)

    events = audit_events(testapp, admin.headers, target_id=group["id"])
    assert actions(events) == ["group.create", "group.member.add", "group.update", "group.delete"]
    created, _added, updated, deleted = reversed(events)
    assert created["changes"]["display_name"] == "Engineering"
    assert updated["changes"] == {"description": "Builds things"}
    assert deleted["changes"]["display_name"] == "Engineering"
    assert deleted["changes"]["removed_memberships"] == 1
    assert deleted["changes"]["removed_ownerships"] == 0
    assert deleted["changes"]["removed_role_assignments"] == 0


def test_member_add_and_remove_through_both_paths(testapp, admin):
    group = make_group(testapp, admin)
    user = make_user(testapp, admin)
    members = f"{GROUPS}/{group['id']}/members"
    member_of = f"{USERS}/{user['id']}/memberOf"

    testapp.post_json(
        f"{members}/$ref", {"@odata.id": f"users/{user['id']}"}, headers=admin.headers
    )
    testapp.delete(f"{members}/{user['id']}/$ref", headers=admin.headers)
    testapp.post_json(
        f"{member_of}/$ref", {"@odata.id": f"groups/{group['id']}"}, headers=admin.headers
    )
    testapp.delete(f"{member_of}/{group['id']}/$ref", headers=admin.headers)

    events = audit_events(testapp, admin.headers, target_type="group", target_id=group["id"])
    assert actions(events) == [
        "group.create",
        "group.member.add",
        "group.member.remove",
        "group.member.add",
        "group.member.remove",
    ]
    for event in events[:4]:
        assert event["changes"] == {"member_type": "user", "member_id": user["id"]}


def test_nested_group_member_records_member_type(testapp, admin):
    parent = make_group(testapp, admin, "Parent")
    child = make_group(testapp, admin, "Child")

    testapp.post_json(
        f"{GROUPS}/{parent['id']}/members/$ref",
        {"@odata.id": f"groups/{child['id']}"},
        headers=admin.headers,
    )

    event = only_event(testapp, admin.headers, action="group.member.add")
    assert event["changes"] == {"member_type": "group", "member_id": child["id"]}


def test_owner_add_and_remove(testapp, admin):
    group = make_group(testapp, admin)
    user = make_user(testapp, admin)
    owners = f"{GROUPS}/{group['id']}/owners"

    testapp.post_json(f"{owners}/$ref", {"@odata.id": f"users/{user['id']}"}, headers=admin.headers)
    testapp.delete(f"{owners}/{user['id']}/$ref", headers=admin.headers)

    added = only_event(testapp, admin.headers, action="group.owner.add")
    removed = only_event(testapp, admin.headers, action="group.owner.remove")
    assert added["target"] == {"type": "group", "id": group["id"]}
    assert added["changes"] == {"user_id": user["id"]}
    assert removed["changes"] == {"user_id": user["id"]}


def test_vetoed_member_add_records_nothing(testapp, admin):
    group = testapp.post_json(
        GROUPS, {"display_name": "From IdP", "source": "idp"}, headers=admin.headers
    ).json
    user = make_user(testapp, admin)

    testapp.post_json(
        f"{GROUPS}/{group['id']}/members/$ref",
        {"@odata.id": f"users/{user['id']}"},
        headers=admin.headers,
        status=409,
    )

    assert audit_events(testapp, admin.headers, action="group.member.add") == []


# --- Roles, assignments and workspaces --------------------------------------------------------


def test_role_events_list_permissions(testapp, admin):
    role = testapp.post_json(
        ROLES, {"name": "Readers", "permissions": ["users.read"]}, headers=admin.headers
    ).json
    url = f"{ROLES}/{role['id']}"

    testapp.patch_json(url, {"permissions": ["users.read", "groups.read"]}, headers=admin.headers)
    testapp.delete(url, headers=admin.headers)

    events = audit_events(testapp, admin.headers, target_type="role", target_id=role["id"])
    assert actions(events) == ["role.create", "role.update", "role.delete"]
    created, updated, deleted = reversed(events)
    assert created["changes"]["name"] == "Readers"
    assert created["changes"]["permissions"] == ["users.read"]
    assert updated["changes"] == {"permissions": ["groups.read", "users.read"]}
    assert deleted["changes"]["permissions"] == ["groups.read", "users.read"]


def test_role_assignment_create_and_delete(testapp, admin):
    user = make_user(testapp, admin)
    workspace = make_workspace(testapp, admin)
    assignment = testapp.post_json(
        f"{WORKSPACES}/{workspace['id']}/roleAssignments",
        {"role_id": WORKSPACE_MEMBER_ROLE_ID, "principal_type": "user", "principal_id": user["id"]},
        headers=admin.headers,
    ).json

    testapp.delete(f"{ASSIGNMENTS}/{assignment['id']}", headers=admin.headers)

    events = audit_events(testapp, admin.headers, target_type="role_assignment")
    assert actions(events) == ["role_assignment.create", "role_assignment.delete"]
    for event in events:
        assert event["target"]["id"] == assignment["id"]
        assert event["changes"]["role_id"] == WORKSPACE_MEMBER_ROLE_ID
        assert event["changes"]["principal_id"] == user["id"]
        assert event["changes"]["workspace_id"] == workspace["id"]
    assert events[1]["changes"]["created_by"] == f"user:{admin.user_id}"


def test_workspace_create_update_forced_delete(testapp, admin):
    workspace = make_workspace(testapp, admin)
    user = make_user(testapp, admin)
    url = f"{WORKSPACES}/{workspace['id']}"
    testapp.post_json(
        f"{url}/roleAssignments",
        {"role_id": WORKSPACE_MEMBER_ROLE_ID, "principal_type": "user", "principal_id": user["id"]},
        headers=admin.headers,
    )

    testapp.patch_json(url, {"description": "Lab work"}, headers=admin.headers)
    testapp.delete(f"{url}?force=true", headers=admin.headers)

    events = audit_events(testapp, admin.headers, target_type="workspace")
    assert actions(events) == ["workspace.create", "workspace.update", "workspace.delete"]
    assert events[1]["changes"] == {"description": "Lab work"}
    deleted = events[0]["changes"]
    assert deleted["name"] == "Research"
    assert deleted["force"] is True
    assert deleted["removed_role_assignments"] == 1
    assert deleted["removed_invitations"] == 0


# --- Invitations and sessions -----------------------------------------------------------------


def invite(testapp, admin, workspace_id, email="new@example.com") -> dict:
    body = {"email": email, "workspace_id": workspace_id, "role_id": WORKSPACE_MEMBER_ROLE_ID}
    return testapp.post_json(INVITATIONS, body, headers=admin.headers).json


def test_invitation_create_records_three_events(testapp, admin, invitation_tokens):
    workspace = make_workspace(testapp, admin)

    response = testapp.post_json(
        INVITATIONS,
        {
            "email": "new@example.com",
            "workspace_id": workspace["id"],
            "role_id": WORKSPACE_MEMBER_ROLE_ID,
        },
        headers=admin.headers,
    )

    events = audit_events(testapp, admin.headers, request_id=response.headers["X-Request-Id"])
    assert actions(events) == ["user.create", "role_assignment.create", "invitation.create"]
    user_event, assignment_event, invitation_event = reversed(events)
    invitation = response.json
    assert user_event["target"] == {"type": "user", "id": invitation["user_id"]}
    assert user_event["changes"]["status"] == "invited"
    assert assignment_event["target"] == {
        "type": "role_assignment",
        "id": invitation["assignment_id"],
    }
    assert invitation_event["target"] == {"type": "invitation", "id": invitation["id"]}
    assert invitation_event["changes"]["email"] == "new@example.com"
    assert invitation_event["changes"]["token"] == REDACTED
    assert invitation_tokens[invitation["id"]] not in str(events)


def test_invitation_of_existing_user(testapp, admin, invitation_tokens):
    workspace = make_workspace(testapp, admin)
    make_user(testapp, admin, "kim@example.com")

    response = testapp.post_json(
        INVITATIONS,
        {
            "email": "kim@example.com",
            "workspace_id": workspace["id"],
            "role_id": WORKSPACE_MEMBER_ROLE_ID,
        },
        headers=admin.headers,
    )

    events = audit_events(testapp, admin.headers, request_id=response.headers["X-Request-Id"])
    assert actions(events) == ["role_assignment.create", "invitation.create"]


def test_invitation_resend_cancel(testapp, admin, invitation_tokens):
    workspace = make_workspace(testapp, admin)
    invitation = invite(testapp, admin, workspace["id"])
    url = f"{INVITATIONS}/{invitation['id']}"

    testapp.post(f"{url}/resend", headers=admin.headers)
    testapp.post(f"{url}/cancel", headers=admin.headers)

    resent = only_event(testapp, admin.headers, action="invitation.resend")
    assert resent["changes"]["token"] == REDACTED
    assert resent["changes"]["sent_count"] == 2
    assert set(resent["changes"]) == {"token", "sent_count", "expires_at", "last_sent_at"}
    cancelled = only_event(testapp, admin.headers, action="invitation.cancel")
    assert cancelled["changes"] == {"invitation_status": "cancelled", "assignment_id": None}
    removed = only_event(testapp, admin.headers, action="role_assignment.delete")
    assert removed["target"]["id"] == invitation["assignment_id"]
    assert removed["request_id"] == cancelled["request_id"]
    for token in invitation_tokens.values():
        assert token not in str(audit_events(testapp, admin.headers))


def test_invitation_accept_is_recorded_as_the_invitee(testapp, admin, invitation_tokens):
    workspace = make_workspace(testapp, admin)
    invitation = invite(testapp, admin, workspace["id"])
    token = invitation_tokens[invitation["id"]]

    response = testapp.post_json(
        f"{INVITATIONS}/{invitation['id']}/accept", {"token": token, "password": PASSWORD}
    )

    events = audit_events(testapp, admin.headers, request_id=response.headers["X-Request-Id"])
    assert actions(events) == ["user.update", "invitation.accept"]
    actor = {
        "type": "user",
        "id": invitation["user_id"],
        "auth_method": "invitation_token",
        "credential_id": invitation["id"],
    }
    user_event, accept_event = reversed(events)
    assert user_event["actor"] == actor
    assert user_event["changes"] == {"status": "active", "password": REDACTED}
    assert accept_event["actor"] == actor
    assert accept_event["changes"]["invitation_status"] == "accepted"
    assert token not in str(events)


def test_rejected_acceptance_records_nothing(testapp, admin, invitation_tokens):
    workspace = make_workspace(testapp, admin)
    invitation = invite(testapp, admin, workspace["id"])

    testapp.post_json(
        f"{INVITATIONS}/{invitation['id']}/accept",
        {"token": "not-the-token", "password": PASSWORD},
        status=403,
    )

    assert audit_events(testapp, admin.headers, action="invitation.accept") == []


def test_login_and_logout(testapp, admin, factory):
    principal = factory.user("kim@example.com", password=PASSWORD)

    login = testapp.post_json(LOGIN, {"user_name": "kim@example.com", "password": PASSWORD})
    testapp.post(LOGOUT, headers={"X-CSRF-Token": login.json["csrf_token"]}, status=204)

    session_id = login.json["credential_id"]
    logged_in = only_event(testapp, admin.headers, action="session.login")
    assert logged_in["actor"] == {
        "type": "user",
        "id": principal.user_id,
        "auth_method": "password",
        "credential_id": None,
    }
    assert logged_in["target"] == {"type": "session", "id": session_id}
    assert logged_in["changes"]["user_id"] == principal.user_id
    assert logged_in["changes"]["token"] == REDACTED
    assert logged_in["changes"]["csrf_token"] == REDACTED
    assert login.json["csrf_token"] not in str(logged_in)
    logged_out = only_event(testapp, admin.headers, action="session.logout")
    assert logged_out["actor"]["auth_method"] == "session"
    assert logged_out["actor"]["credential_id"] == session_id
    assert list(logged_out["changes"]) == ["revoked_at"]


def test_login_ignores_forwarded_for(testapp, admin, factory):
    factory.user("kim@example.com", password=PASSWORD)

    testapp.post_json(
        LOGIN,
        {"user_name": "kim@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.9" * 20},
        extra_environ={"REMOTE_ADDR": "192.0.2.10"},
    )

    event = only_event(testapp, admin.headers, action="session.login")
    assert event["client_address"] == "192.0.2.10"
    assert event["changes"]["client_address"] == "192.0.2.10"


def test_failed_login_records_nothing(testapp, admin, factory):
    factory.user("kim@example.com", password=PASSWORD)

    testapp.post_json(LOGIN, {"user_name": "kim@example.com", "password": "wrong"}, status=401)

    assert audit_events(testapp, admin.headers, action="session.login") == []


# --- SCIM tokens and SCIM provisioning --------------------------------------------------------


def test_scim_token_create_and_revoke(testapp, admin):
    created = testapp.post_json(TOKENS, {"name": "Entra"}, headers=admin.headers).json
    url = f"{TOKENS}/{created['id']}/revoke"

    testapp.post(url, headers=admin.headers)
    testapp.post(url, headers=admin.headers)

    events = audit_events(testapp, admin.headers, target_type="scim_token")
    assert actions(events) == ["scim_token.create", "scim_token.revoke"]
    issued = events[1]["changes"]
    assert issued["name"] == "Entra"
    assert issued["scopes"] == ["read", "write"]
    assert issued["prefix"] == created["prefix"]
    assert issued["secret"] == REDACTED
    assert created["token"] not in str(events)
    assert created["secret_sha256"] not in str(events)
    assert list(events[0]["changes"]) == ["revoked_at"]


def test_scim_user_writes(testapp, admin):
    token = testapp.post_json(TOKENS, {"name": "Entra"}, headers=admin.headers).json
    scim = Scim(testapp, {"Authorization": f"Bearer {token['token']}"})
    user = scim.create_user("kim@example.com", displayName="Kim", password="scim password 1")

    scim.put(
        f"/Users/{user['id']}",
        {"schemas": [USER_URN], "userName": "kim@example.com", "displayName": "Kim Lee"},
    )
    scim.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}])
    scim.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}])
    scim.delete(f"/Users/{user['id']}")

    events = audit_events(testapp, admin.headers, target_type="user", target_id=user["id"])
    assert actions(events) == [
        "scim.user.create",
        "scim.user.replace",
        "scim.user.patch",
        "scim.user.delete",
    ]
    actor = {
        "type": "scim_token",
        "id": token["id"],
        "auth_method": "scim_token",
        "credential_id": token["id"],
    }
    for event in events:
        assert event["actor"] == actor
    created, replaced, patched, deleted = reversed(events)
    assert created["changes"]["userName"] == "kim@example.com"
    assert created["changes"]["password"] == REDACTED
    assert replaced["changes"] == {"displayName": "Kim Lee"}
    assert patched["changes"] == {"active": False}
    assert deleted["changes"]["userName"] == "kim@example.com"
    assert "scim password 1" not in str(events)


def test_scim_group_writes_summarise_members(testapp, admin, scim_headers):
    scim = Scim(testapp, scim_headers)
    first = scim.create_user("first@example.com")
    second = scim.create_user("second@example.com")
    group = scim.create_group("Engineering", [first["id"]])

    scim.patch(
        f"/Groups/{group['id']}",
        [
            {"op": "add", "path": "members", "value": [{"value": second["id"]}]},
            {"op": "remove", "path": f'members[value eq "{first["id"]}"]'},
        ],
    )
    scim.put(
        f"/Groups/{group['id']}",
        {"schemas": [GROUP_URN], "displayName": "Platform", "members": [{"value": second["id"]}]},
    )
    scim.delete(f"/Groups/{group['id']}")

    events = audit_events(testapp, admin.headers, target_type="group", target_id=group["id"])
    assert actions(events) == [
        "scim.group.create",
        "scim.group.patch",
        "scim.group.replace",
        "scim.group.delete",
    ]
    created, patched, replaced, deleted = reversed(events)
    assert created["changes"] == {
        "displayName": "Engineering",
        "members_added": [first["id"]],
        "members_added_count": 1,
    }
    assert patched["changes"] == {
        "members_added": [second["id"]],
        "members_added_count": 1,
        "members_removed": [first["id"]],
        "members_removed_count": 1,
    }
    assert replaced["changes"] == {"displayName": "Platform"}
    assert deleted["changes"]["displayName"] == "Platform"
    assert deleted["changes"]["removed_memberships"] == 1


def test_noop_scim_patch_records_nothing(testapp, admin, scim_headers):
    scim = Scim(testapp, scim_headers)
    user = scim.create_user("kim@example.com", displayName="Kim")

    scim.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "displayName", "value": "Kim"}])

    assert actions(audit_events(testapp, admin.headers, target_id=user["id"])) == [
        "scim.user.create"
    ]


# --- $batch -----------------------------------------------------------------------------------


def test_batch_failed_item_records_nothing(testapp, admin):
    existing = make_user(testapp, admin, "existing@example.com")

    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                {
                    "id": "a",
                    "method": "POST",
                    "url": "/users",
                    "headers": JSON,
                    "body": {"user_name": "new@example.com"},
                },
                {
                    "id": "b",
                    "method": "POST",
                    "url": "/users",
                    "headers": JSON,
                    "body": {"user_name": "EXISTING@example.com"},
                },
                {
                    "id": "c",
                    "method": "PATCH",
                    "url": f"/users/{existing['id']}",
                    "headers": JSON,
                    "body": {"display_name": "Renamed"},
                },
            ]
        },
        headers={**admin.headers, "X-Request-Id": "batch-1"},
    )

    statuses = [item["status"] for item in response.json["responses"]]
    assert statuses == [201, 409, 200]
    assert only_event(testapp, admin.headers, request_id="batch-1/a")["action"] == "user.create"
    assert audit_events(testapp, admin.headers, request_id="batch-1/b") == []
    patched = only_event(testapp, admin.headers, request_id="batch-1/c")
    assert patched["action"] == "user.update"
    assert patched["changes"] == {"display_name": "Renamed"}
    assert patched["actor"]["credential_id"] == admin.api_key_id


def test_batch_item_id_stored_printable(testapp, admin):
    testapp.post_json(
        BATCH,
        {
            "requests": [
                {
                    "id": "x\u0001y\u2028" + "z" * 300,
                    "method": "POST",
                    "url": "/users",
                    "headers": JSON,
                    "body": {"user_name": "new@example.com"},
                }
            ]
        },
        headers={**admin.headers, "X-Request-Id": "batch-2"},
    )

    event = only_event(testapp, admin.headers, action="user.create")
    assert event["request_id"].startswith("batch-2/x?y?zzz")
    assert len(event["request_id"]) == 255
