"""Every view that takes POST, PUT, PATCH or DELETE records an audit event.

The first test compares the app's views with the scenarios below, so a
new mutating endpoint fails it until it gets a scenario here. The
scenario then proves over HTTP that the endpoint records its event.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from access_platform.auth.resources import LoginResource, LogoutResource
from access_platform.batch.resources import BatchResource
from access_platform.groups.resources import (
    GroupCollection,
    GroupResource,
    MemberEntryRef,
    MembersAdd,
    OwnerEntryRef,
    OwnersAdd,
)
from access_platform.hookspecs import hookimpl
from access_platform.invitations.resources import (
    AcceptAction,
    CancelAction,
    InvitationCollection,
    ResendAction,
)
from access_platform.rbac.models import WORKSPACE_MEMBER_ROLE_ID
from access_platform.rbac.resources import (
    RoleAssignmentCollection,
    RoleAssignmentResource,
    RoleCollection,
    RoleResource,
)
from access_platform.scim.admin_resources import RevokeAction, ScimTokenCollection
from access_platform.scim.resources import (
    ScimGroup,
    ScimGroups,
    ScimRootSearch,
    ScimSearch,
    ScimUser,
    ScimUsers,
)
from access_platform.users.resources import (
    DeactivateAction,
    MemberOfAdd,
    MemberOfEntryRef,
    UserCollection,
    UserResource,
)
from access_platform.workspaces.resources import (
    WorkspaceCollection,
    WorkspaceResource,
    WorkspaceRoleAssignments,
)
from tests.functional.audit_helpers import audit_events
from tests.functional.scim_helpers import GROUP_URN, PATCH_URN, USER_URN, Scim

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PASSWORD = "correct horse battery"

# Unsafe methods that change nothing, with the reason.
READ_ONLY = {
    (ScimSearch, "POST"): "POST /scim/v2/{Users,Groups}/.search runs a query",
    (ScimRootSearch, "POST"): "POST /scim/v2/.search runs a query",
}


@dataclass
class TokenCapture:
    tokens: dict[str, str] = field(default_factory=dict)

    @hookimpl
    def access_platform_invitation_issued(self, invitation, token, event, settings):
        self.tokens[invitation.id] = token


class World:
    """Set-up through the API, and requests tagged with a fresh request id."""

    def __init__(self, testapp: Any, admin: Any, factory: Any, tokens: dict[str, str]) -> None:
        self.app = testapp
        self.admin = admin
        self.factory = factory
        self.tokens = tokens
        self.scim = Scim(testapp, {"Authorization": f"Bearer {factory.scim_token()}"})

    def send(self, method: str, path: str, body: Any = None, as_admin: bool = True) -> str:
        """Send one request, with the administrator's key unless ``as_admin`` is false.

        Returns the request id that the request carried.
        """
        request_id = uuid.uuid4().hex
        all_headers = {"X-Request-Id": request_id}
        if as_admin:
            all_headers.update(self.admin.headers)
        encoded = b""
        if body is not None:
            encoded = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        self.app.request(path, method=method, body=encoded, headers=all_headers, status="2*")
        return request_id

    def post(self, path: str, body: Any) -> dict[str, Any]:
        return self.app.post_json(path, body, headers=self.admin.headers).json

    def user(self) -> dict[str, Any]:
        return self.post("/api/v1/users", {"user_name": f"{uuid.uuid4().hex}@example.com"})

    def group(self) -> dict[str, Any]:
        return self.post("/api/v1/groups", {"display_name": uuid.uuid4().hex})

    def workspace(self) -> dict[str, Any]:
        return self.post("/api/v1/workspaces", {"name": uuid.uuid4().hex})

    def role(self) -> dict[str, Any]:
        return self.post("/api/v1/roles", {"name": uuid.uuid4().hex, "permissions": ["users.read"]})

    def assignment(self) -> dict[str, Any]:
        body = {"role_id": WORKSPACE_MEMBER_ROLE_ID, "principal_type": "user"}
        body["principal_id"] = self.user()["id"]
        return self.post(f"/api/v1/workspaces/{self.workspace()['id']}/roleAssignments", body)

    def invitation(self) -> dict[str, Any]:
        body = {
            "email": f"{uuid.uuid4().hex}@example.com",
            "workspace_id": self.workspace()["id"],
            "role_id": WORKSPACE_MEMBER_ROLE_ID,
        }
        return self.post("/api/v1/invitations", body)

    def member_of(self, group: dict[str, Any], user: dict[str, Any], relation: str) -> None:
        body = {"@odata.id": f"users/{user['id']}"}
        self.post(f"/api/v1/groups/{group['id']}/{relation}/$ref", body)


# --- Scenarios: each makes one change and returns the request id to look for ----------------


def create_user(world: World) -> str:
    return world.send("POST", "/api/v1/users", {"user_name": "new@example.com"})


def patch_user(world: World) -> str:
    return world.send("PATCH", f"/api/v1/users/{world.user()['id']}", {"display_name": "Kim"})


def deactivate_user(world: World) -> str:
    return world.send("POST", f"/api/v1/users/{world.user()['id']}/deactivate")


def add_member_of(world: World) -> str:
    user, group = world.user(), world.group()
    body = {"@odata.id": f"groups/{group['id']}"}
    return world.send("POST", f"/api/v1/users/{user['id']}/memberOf/$ref", body)


def remove_member_of(world: World) -> str:
    user, group = world.user(), world.group()
    world.member_of(group, user, "members")
    return world.send("DELETE", f"/api/v1/users/{user['id']}/memberOf/{group['id']}/$ref")


def log_in(world: World) -> str:
    principal = world.factory.user(password=PASSWORD)
    body = {"user_name": principal.user_name, "password": PASSWORD}
    return world.send("POST", "/api/v1/auth/login", body, as_admin=False)


def log_out(world: World) -> str:
    principal = world.factory.user(password=PASSWORD)
    login = world.app.post_json(
        "/api/v1/auth/login", {"user_name": principal.user_name, "password": PASSWORD}
    )
    request_id = uuid.uuid4().hex
    world.app.post(
        "/api/v1/auth/logout",
        headers={"X-CSRF-Token": login.json["csrf_token"], "X-Request-Id": request_id},
        status=204,
    )
    return request_id


def create_workspace(world: World) -> str:
    return world.send("POST", "/api/v1/workspaces", {"name": "Lab"})


def patch_workspace(world: World) -> str:
    path = f"/api/v1/workspaces/{world.workspace()['id']}"
    return world.send("PATCH", path, {"description": "New"})


def delete_workspace(world: World) -> str:
    return world.send("DELETE", f"/api/v1/workspaces/{world.workspace()['id']}")


def create_workspace_assignment(world: World) -> str:
    body = {
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
        "principal_type": "user",
        "principal_id": world.user()["id"],
    }
    path = f"/api/v1/workspaces/{world.workspace()['id']}/roleAssignments"
    return world.send("POST", path, body)


def create_assignment(world: World) -> str:
    body = {
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
        "principal_type": "user",
        "principal_id": world.user()["id"],
        "workspace_id": world.workspace()["id"],
    }
    return world.send("POST", "/api/v1/roleAssignments", body)


def delete_assignment(world: World) -> str:
    return world.send("DELETE", f"/api/v1/roleAssignments/{world.assignment()['id']}")


def create_role(world: World) -> str:
    return world.send("POST", "/api/v1/roles", {"name": "Readers", "permissions": ["users.read"]})


def patch_role(world: World) -> str:
    return world.send("PATCH", f"/api/v1/roles/{world.role()['id']}", {"description": "New"})


def delete_role(world: World) -> str:
    return world.send("DELETE", f"/api/v1/roles/{world.role()['id']}")


def create_invitation(world: World) -> str:
    body = {
        "email": "invitee@example.com",
        "workspace_id": world.workspace()["id"],
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
    }
    return world.send("POST", "/api/v1/invitations", body)


def resend_invitation(world: World) -> str:
    return world.send("POST", f"/api/v1/invitations/{world.invitation()['id']}/resend")


def cancel_invitation(world: World) -> str:
    return world.send("POST", f"/api/v1/invitations/{world.invitation()['id']}/cancel")


def accept_invitation(world: World) -> str:
    invitation = world.invitation()
    body = {"token": world.tokens[invitation["id"]], "password": PASSWORD}
    return world.send("POST", f"/api/v1/invitations/{invitation['id']}/accept", body, False)


def run_batch(world: World) -> str:
    body = {
        "requests": [
            {
                "id": "only",
                "method": "POST",
                "url": "/users",
                "headers": {"Content-Type": "application/json"},
                "body": {"user_name": "batched@example.com"},
            }
        ]
    }
    return world.send("POST", "/api/v1/$batch", body) + "/only"


def create_group(world: World) -> str:
    return world.send("POST", "/api/v1/groups", {"display_name": "Staff"})


def patch_group(world: World) -> str:
    return world.send("PATCH", f"/api/v1/groups/{world.group()['id']}", {"description": "New"})


def delete_group(world: World) -> str:
    return world.send("DELETE", f"/api/v1/groups/{world.group()['id']}")


def add_member(world: World) -> str:
    user, group = world.user(), world.group()
    body = {"@odata.id": f"users/{user['id']}"}
    return world.send("POST", f"/api/v1/groups/{group['id']}/members/$ref", body)


def remove_member(world: World) -> str:
    user, group = world.user(), world.group()
    world.member_of(group, user, "members")
    return world.send("DELETE", f"/api/v1/groups/{group['id']}/members/{user['id']}/$ref")


def add_owner(world: World) -> str:
    user, group = world.user(), world.group()
    body = {"@odata.id": f"users/{user['id']}"}
    return world.send("POST", f"/api/v1/groups/{group['id']}/owners/$ref", body)


def remove_owner(world: World) -> str:
    user, group = world.user(), world.group()
    world.member_of(group, user, "owners")
    return world.send("DELETE", f"/api/v1/groups/{group['id']}/owners/{user['id']}/$ref")


def create_scim_token(world: World) -> str:
    return world.send("POST", "/api/v1/admin/scim/tokens", {"name": "Okta"})


def revoke_scim_token(world: World) -> str:
    token = world.post("/api/v1/admin/scim/tokens", {"name": "Okta"})
    return world.send("POST", f"/api/v1/admin/scim/tokens/{token['id']}/revoke")


def scim_send(world: World, method: str, path: str, body: Any = None) -> str:
    request_id = uuid.uuid4().hex
    world.scim.headers["X-Request-Id"] = request_id
    try:
        if method == "POST":
            world.scim.post(path, body)
        elif method == "PUT":
            world.scim.put(path, body)
        elif method == "PATCH":
            world.scim.patch(path, body["Operations"])
        else:
            world.scim.delete(path)
    finally:
        del world.scim.headers["X-Request-Id"]
    return request_id


def scim_create_user(world: World) -> str:
    return scim_send(world, "POST", "/Users", {"schemas": [USER_URN], "userName": "scim-new"})


def scim_replace_user(world: World) -> str:
    user = world.scim.create_user("scim-user")
    body = {"schemas": [USER_URN], "userName": "scim-user", "displayName": "Renamed"}
    return scim_send(world, "PUT", f"/Users/{user['id']}", body)


def scim_patch_user(world: World) -> str:
    user = world.scim.create_user("scim-user")
    body = {
        "schemas": [PATCH_URN],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Renamed"}],
    }
    return scim_send(world, "PATCH", f"/Users/{user['id']}", body)


def scim_delete_user(world: World) -> str:
    user = world.scim.create_user("scim-user")
    return scim_send(world, "DELETE", f"/Users/{user['id']}")


def scim_create_group(world: World) -> str:
    return scim_send(world, "POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "IdP"})


def scim_replace_group(world: World) -> str:
    group = world.scim.create_group("IdP")
    body = {"schemas": [GROUP_URN], "displayName": "Renamed"}
    return scim_send(world, "PUT", f"/Groups/{group['id']}", body)


def scim_patch_group(world: World) -> str:
    group = world.scim.create_group("IdP")
    body = {
        "schemas": [PATCH_URN],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Renamed"}],
    }
    return scim_send(world, "PATCH", f"/Groups/{group['id']}", body)


def scim_delete_group(world: World) -> str:
    group = world.scim.create_group("IdP")
    return scim_send(world, "DELETE", f"/Groups/{group['id']}")


@dataclass(frozen=True)
class Scenario:
    context: type
    method: str
    action: str
    run: Callable[[World], str]

    @property
    def key(self) -> tuple[type, str]:
        return (self.context, self.method)


SCENARIOS = [
    Scenario(UserCollection, "POST", "user.create", create_user),
    Scenario(UserResource, "PATCH", "user.update", patch_user),
    Scenario(DeactivateAction, "POST", "user.deactivate", deactivate_user),
    Scenario(MemberOfAdd, "POST", "group.member.add", add_member_of),
    Scenario(MemberOfEntryRef, "DELETE", "group.member.remove", remove_member_of),
    Scenario(LoginResource, "POST", "session.login", log_in),
    Scenario(LogoutResource, "POST", "session.logout", log_out),
    Scenario(WorkspaceCollection, "POST", "workspace.create", create_workspace),
    Scenario(WorkspaceResource, "PATCH", "workspace.update", patch_workspace),
    Scenario(WorkspaceResource, "DELETE", "workspace.delete", delete_workspace),
    Scenario(
        WorkspaceRoleAssignments, "POST", "role_assignment.create", create_workspace_assignment
    ),
    Scenario(RoleAssignmentCollection, "POST", "role_assignment.create", create_assignment),
    Scenario(RoleAssignmentResource, "DELETE", "role_assignment.delete", delete_assignment),
    Scenario(RoleCollection, "POST", "role.create", create_role),
    Scenario(RoleResource, "PATCH", "role.update", patch_role),
    Scenario(RoleResource, "DELETE", "role.delete", delete_role),
    Scenario(InvitationCollection, "POST", "invitation.create", create_invitation),
    Scenario(ResendAction, "POST", "invitation.resend", resend_invitation),
    Scenario(CancelAction, "POST", "invitation.cancel", cancel_invitation),
    Scenario(AcceptAction, "POST", "invitation.accept", accept_invitation),
    Scenario(BatchResource, "POST", "user.create", run_batch),
    Scenario(GroupCollection, "POST", "group.create", create_group),
    Scenario(GroupResource, "PATCH", "group.update", patch_group),
    Scenario(GroupResource, "DELETE", "group.delete", delete_group),
    Scenario(MembersAdd, "POST", "group.member.add", add_member),
    Scenario(MemberEntryRef, "DELETE", "group.member.remove", remove_member),
    Scenario(OwnersAdd, "POST", "group.owner.add", add_owner),
    Scenario(OwnerEntryRef, "DELETE", "group.owner.remove", remove_owner),
    Scenario(ScimTokenCollection, "POST", "scim_token.create", create_scim_token),
    Scenario(RevokeAction, "POST", "scim_token.revoke", revoke_scim_token),
    Scenario(ScimUsers, "POST", "scim.user.create", scim_create_user),
    Scenario(ScimUser, "PUT", "scim.user.replace", scim_replace_user),
    Scenario(ScimUser, "PATCH", "scim.user.patch", scim_patch_user),
    Scenario(ScimUser, "DELETE", "scim.user.delete", scim_delete_user),
    Scenario(ScimGroups, "POST", "scim.group.create", scim_create_group),
    Scenario(ScimGroup, "PUT", "scim.group.replace", scim_replace_group),
    Scenario(ScimGroup, "PATCH", "scim.group.patch", scim_patch_group),
    Scenario(ScimGroup, "DELETE", "scim.group.delete", scim_delete_group),
]


def test_every_mutating_view_has_a_scenario(registry):
    mutating = {
        (context, method)
        for (context, view_name), methods in registry.view_methods.items()
        for method in methods
        if method in UNSAFE_METHODS
    }
    covered = {scenario.key for scenario in SCENARIOS}

    uncovered = sorted(
        f"{method} {context.__qualname__}"
        for context, method in mutating - covered - set(READ_ONLY)
    )
    assert uncovered == [], (
        "these views take an unsafe method but have no scenario in this file: record an "
        "audit event in each, and add a scenario that proves it"
    )
    assert covered - mutating == set(), "scenarios for views that no longer exist"
    assert set(READ_ONLY) - mutating == set(), "read-only entries for views that no longer exist"
    assert len(covered) == len(SCENARIOS), "two scenarios for one view"


@pytest.fixture
def world(testapp, admin, factory, registry):
    capture = TokenCapture()
    registry.plugin_manager.register(capture, name="coverage-token-capture")
    try:
        yield World(testapp, admin, factory, capture.tokens)
    finally:
        registry.plugin_manager.unregister(name="coverage-token-capture")


@pytest.mark.parametrize(
    "scenario", SCENARIOS, ids=[f"{s.method} {s.context.__name__}" for s in SCENARIOS]
)
def test_mutating_view_records_event(world, scenario):
    request_id = scenario.run(world)

    events = audit_events(world.app, world.admin.headers, request_id=request_id)
    assert scenario.action in [event["action"] for event in events]
