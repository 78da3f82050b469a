"""The invitations API over HTTP: invite, list, resend, cancel, expire, deliver, accept."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
import webtest

from access_platform.auth.passwords import hash_password
from access_platform.db import utcnow
from access_platform.hookspecs import hookimpl
from access_platform.invitations.models import Invitation
from access_platform.rbac.models import (
    AUDITOR_ROLE_ID,
    TENANT_ADMIN_ROLE_ID,
    USER_ADMIN_ROLE_ID,
    WORKSPACE_MEMBER_ROLE_ID,
    WORKSPACE_OWNER_ROLE_ID,
)
from access_platform.users.models import User

INVITATIONS = "/api/v1/invitations"
WORKSPACES = "/api/v1/workspaces"
USERS = "/api/v1/users"
LOGIN = "/api/v1/auth/login"
PROBLEM = "application/problem+json"
UNKNOWN_ID = "00000000-0000-4000-8000-00000000abcd"
DELIVERY_LOGGER = "access_platform.invitations.delivery"
PLUGIN_NAME = "capture-test"
PASSWORD = "correct horse battery"


@dataclass
class DeliveryRecorder:
    """A throwaway plugin that records each delivery as (invitation id, token, event)."""

    deliveries: list[tuple[str, str, str]] = field(default_factory=list)

    @hookimpl
    def access_platform_invitation_issued(self, invitation, token, event, settings):
        self.deliveries.append((invitation.id, token, event))


class FailingDelivery:
    """A throwaway plugin whose delivery hook raises RuntimeError."""

    @hookimpl
    def access_platform_invitation_issued(self, invitation, token, event, settings):
        raise RuntimeError("mail server unreachable")


@pytest.fixture
def deliveries(registry):
    """The deliveries made during the test, recorded by a plugin registered for it."""
    recorder = DeliveryRecorder()
    registry.plugin_manager.register(recorder, name=PLUGIN_NAME)
    try:
        yield recorder.deliveries
    finally:
        registry.plugin_manager.unregister(name=PLUGIN_NAME)


@pytest.fixture
def workspace(testapp, admin) -> dict:
    return testapp.post_json(WORKSPACES, {"name": "Research"}, headers=admin.headers).json


@pytest.fixture
def other_workspace(testapp, admin) -> dict:
    return testapp.post_json(WORKSPACES, {"name": "Marketing"}, headers=admin.headers).json


@pytest.fixture
def owner(testapp, admin, factory, workspace):
    """A user holding the built-in Workspace owner role in ``workspace`` only."""
    principal = factory.user("owner@example.com")
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_OWNER_ROLE_ID, principal.user_id)
    return principal


def assign(testapp, headers, workspace_id, role_id, principal_id, status=201):
    body = {"role_id": role_id, "principal_type": "user", "principal_id": principal_id}
    return testapp.post_json(
        f"{WORKSPACES}/{workspace_id}/roleAssignments", body, headers=headers, status=status
    )


def workspace_assignments(testapp, headers, workspace_id) -> list[dict]:
    url = f"{WORKSPACES}/{workspace_id}/roleAssignments"
    return testapp.get(url, headers=headers).json["items"]


def invite(
    testapp,
    headers,
    workspace_id,
    email="new@example.com",
    role_id=WORKSPACE_MEMBER_ROLE_ID,
    status=201,
):
    body = {"email": email, "workspace_id": workspace_id, "role_id": role_id}
    return testapp.post_json(INVITATIONS, body, headers=headers, status=status)


def invitation_url(invitation_id: str, action: str = "") -> str:
    return f"{INVITATIONS}/{invitation_id}" + (f"/{action}" if action else "")


def accept(testapp, invitation_id, token, password=PASSWORD, status=200):
    body = {"token": token, "password": password}
    return testapp.post_json(invitation_url(invitation_id, "accept"), body, status=status)


def expire(factory, invitation_id: str) -> None:
    factory.update(Invitation, invitation_id, expires_at=utcnow() - timedelta(minutes=1))


def pointers(response) -> set[str]:
    return {error["pointer"] for error in response.json["errors"]}


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def lifetime(registry) -> timedelta:
    return timedelta(seconds=registry.settings["access_platform.invitations.lifetime_seconds"])


# --- Create ----------------------------------------------------------------------


def test_invite_returns_201_with_location_and_etag(testapp, admin, registry, workspace):
    before = utcnow()

    response = invite(testapp, admin.headers, workspace["id"], "New@Example.com")

    body = response.json
    assert response.headers["Location"] == f"http://localhost{INVITATIONS}/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["email"] == "New@Example.com"
    assert body["workspace_id"] == workspace["id"]
    assert body["role_id"] == WORKSPACE_MEMBER_ROLE_ID
    assert body["invitation_status"] == "pending"
    assert body["invited_by"] == f"user:{admin.user_id}"
    assert body["sent_count"] == 1
    assert body["accepted_at"] is None
    assert body["user_id"]
    assert body["assignment_id"]
    assert "token" not in body
    assert "token_digest" not in body
    assert parse_time(body["expires_at"]) >= before + lifetime(registry)
    assert parse_time(body["expires_at"]) <= utcnow() + lifetime(registry)


def test_invite_unknown_email_creates_invited_user(testapp, admin, workspace):
    body = invite(testapp, admin.headers, workspace["id"], "new@example.com").json

    invited = testapp.get(USERS, {"status": "invited"}, headers=admin.headers).json["items"]

    assert [user["id"] for user in invited] == [body["user_id"]]
    assert invited[0]["user_name"] == "new@example.com"
    assert invited[0]["email"] == "new@example.com"


def test_invite_seeds_assignment(testapp, admin, workspace):
    body = invite(testapp, admin.headers, workspace["id"]).json

    assignments = workspace_assignments(testapp, admin.headers, workspace["id"])

    assert [item["id"] for item in assignments] == [body["assignment_id"]]
    assert assignments[0]["principal_type"] == "user"
    assert assignments[0]["principal_id"] == body["user_id"]
    assert assignments[0]["role_id"] == WORKSPACE_MEMBER_ROLE_ID


def test_invite_existing_user_by_email(testapp, admin, workspace):
    existing = testapp.post_json(
        USERS, {"user_name": "kim", "email": "Kim@Example.com"}, headers=admin.headers
    ).json

    body = invite(testapp, admin.headers, workspace["id"], "kim@EXAMPLE.com").json

    assert body["user_id"] == existing["id"]
    assignments = workspace_assignments(testapp, admin.headers, workspace["id"])
    assert [item["principal_id"] for item in assignments] == [existing["id"]]
    invited = testapp.get(USERS, {"status": "invited"}, headers=admin.headers).json["items"]
    assert invited == []


def test_invite_existing_user_by_user_name(testapp, admin, factory, workspace):
    existing = factory.user("Bob@Example.com")

    body = invite(testapp, admin.headers, workspace["id"], "bob@example.COM").json

    assert body["user_id"] == existing.user_id
    fetched = testapp.get(f"{USERS}/{existing.user_id}", headers=admin.headers).json
    assert fetched["status"] == "active"


def test_invite_existing_user_grants_on_accept(testapp, admin, factory, workspace, deliveries):
    existing = factory.user("bob@example.com")
    body = invite(testapp, admin.headers, workspace["id"], "bob@example.com").json
    [(_, token, _)] = deliveries

    accept(testapp, body["id"], token, password=None)

    testapp.get(f"{WORKSPACES}/{workspace['id']}", headers=existing.headers, status=200)


def test_invite_pending_again_gets_409(testapp, admin, workspace, deliveries):
    first = invite(testapp, admin.headers, workspace["id"], "new@example.com").json

    response = invite(testapp, admin.headers, workspace["id"], "NEW@example.com", status=409)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:invitation-pending"
    listed = testapp.get(INVITATIONS, headers=admin.headers).json["items"]
    assert [item["id"] for item in listed] == [first["id"]]
    assert [delivery[0] for delivery in deliveries] == [first["id"]]


def test_invite_pending_again_other_role_gets_409(testapp, admin, workspace):
    invite(testapp, admin.headers, workspace["id"], "new@example.com")

    response = invite(
        testapp,
        admin.headers,
        workspace["id"],
        "new@example.com",
        role_id=WORKSPACE_OWNER_ROLE_ID,
        status=409,
    )

    assert response.json["type"] == "urn:access-platform:problem:invitation-pending"
    assert len(workspace_assignments(testapp, admin.headers, workspace["id"])) == 1


def test_invite_same_email_to_two_workspaces(testapp, admin, workspace, other_workspace):
    first = invite(testapp, admin.headers, workspace["id"], "new@example.com").json

    second = invite(testapp, admin.headers, other_workspace["id"], "new@example.com").json

    assert second["user_id"] == first["user_id"]
    invited = testapp.get(USERS, {"status": "invited"}, headers=admin.headers).json["items"]
    assert len(invited) == 1


def test_invite_holder_of_role_gets_409(testapp, admin, factory, workspace, deliveries):
    member = factory.user("member@example.com")
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    response = invite(testapp, admin.headers, workspace["id"], "Member@example.com", status=409)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:already-assigned"
    assert testapp.get(INVITATIONS, headers=admin.headers).json["items"] == []
    assert deliveries == []


def test_invite_holder_of_other_role(testapp, admin, factory, workspace):
    member = factory.user("member@example.com")
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    body = invite(
        testapp,
        admin.headers,
        workspace["id"],
        "member@example.com",
        role_id=WORKSPACE_OWNER_ROLE_ID,
    ).json

    assert body["user_id"] == member.user_id


def test_invite_unknown_workspace_gets_404(testapp, admin):
    response = invite(testapp, admin.headers, UNKNOWN_ID, status=404)

    assert response.content_type == PROBLEM
    invited = testapp.get(USERS, {"status": "invited"}, headers=admin.headers).json["items"]
    assert invited == []


def test_invite_unknown_role_gets_404(testapp, admin, workspace):
    response = invite(testapp, admin.headers, workspace["id"], role_id=UNKNOWN_ID, status=404)

    assert response.content_type == PROBLEM
    assert testapp.get(INVITATIONS, headers=admin.headers).json["items"] == []


@pytest.mark.parametrize("role_id", [TENANT_ADMIN_ROLE_ID, USER_ADMIN_ROLE_ID, AUDITOR_ROLE_ID])
def test_invite_tenant_role_gets_422(testapp, admin, workspace, role_id):
    response = invite(testapp, admin.headers, workspace["id"], role_id=role_id, status=422)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:validation-failed"
    assert pointers(response) == {"#/role_id"}
    assert testapp.get(INVITATIONS, headers=admin.headers).json["items"] == []


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"email": "not-an-email"}, "#/email"),
        ({"email": ""}, "#/email"),
        ({"email": None}, "#/email"),
        ({"email": 5}, "#/email"),
        ({"email": "a@" + "b" * 320 + ".com"}, "#/email"),
        ({"workspace_id": None}, "#/workspace_id"),
        ({"workspace_id": ""}, "#/workspace_id"),
        ({"role_id": None}, "#/role_id"),
        ({"id": UNKNOWN_ID}, "#/id"),
        ({"invitation_status": "accepted"}, "#/invitation_status"),
        ({"user_id": UNKNOWN_ID}, "#/user_id"),
        ({"expires_at": "2099-01-01T00:00:00Z"}, "#/expires_at"),
        ({"sent_count": 5}, "#/sent_count"),
        ({"message": "Welcome"}, "#/message"),
    ],
)
def test_invite_rejects_invalid_field(testapp, admin, workspace, fields, pointer):
    body = {
        "email": "new@example.com",
        "workspace_id": workspace["id"],
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
        **fields,
    }

    response = testapp.post_json(INVITATIONS, body, headers=admin.headers, status=422)

    assert response.content_type == PROBLEM
    assert pointer in pointers(response)
    assert testapp.get(INVITATIONS, headers=admin.headers).json["items"] == []


def test_invite_missing_fields_gets_422(testapp, admin):
    response = testapp.post_json(INVITATIONS, {}, headers=admin.headers, status=422)
    assert pointers(response) == {"#/email", "#/workspace_id", "#/role_id"}


def test_invite_without_credentials_gets_401(testapp, workspace):
    body = {
        "email": "new@example.com",
        "workspace_id": workspace["id"],
        "role_id": WORKSPACE_MEMBER_ROLE_ID,
    }

    response = testapp.post_json(INVITATIONS, body, status=401)

    assert response.content_type == PROBLEM


def test_invite_without_permission_gets_403(testapp, admin, factory, workspace, deliveries):
    response = invite(testapp, factory.user().headers, workspace["id"], status=403)

    assert response.content_type == PROBLEM
    assert testapp.get(INVITATIONS, headers=admin.headers).json["items"] == []
    assert deliveries == []


def test_invite_as_member_gets_403(testapp, admin, factory, workspace):
    member = factory.user()
    assign(testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id)

    invite(testapp, member.headers, workspace["id"], status=403)


def test_owner_invites_into_own_workspace(testapp, owner, workspace):
    body = invite(testapp, owner.headers, workspace["id"]).json
    assert body["invited_by"] == f"user:{owner.user_id}"


def test_owner_invites_as_owner(testapp, owner, workspace):
    invite(testapp, owner.headers, workspace["id"], role_id=WORKSPACE_OWNER_ROLE_ID)


def test_owner_gets_403_for_other_workspace(testapp, admin, owner, other_workspace):
    response = invite(testapp, owner.headers, other_workspace["id"], status=403)

    assert response.content_type == PROBLEM
    assert testapp.get(INVITATIONS, headers=admin.headers).json["items"] == []


def test_owner_cannot_invite_with_larger_role(testapp, admin, owner, workspace):
    role = testapp.post_json(
        "/api/v1/roles",
        {"name": "User editor", "scope": "workspace", "permissions": ["users.write"]},
        headers=admin.headers,
    ).json

    response = invite(testapp, owner.headers, workspace["id"], role_id=role["id"], status=403)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:grant-exceeds-holdings"
    assert testapp.get(INVITATIONS, headers=admin.headers).json["items"] == []


# --- Read and list ------------------------------------------------------------------


def test_get_returns_invitation_with_etag(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json

    response = testapp.get(invitation_url(created["id"]), headers=admin.headers)

    assert response.json == created
    assert response.headers["ETag"] == '"1"'


def test_get_unknown_invitation_gets_404(testapp, admin):
    response = testapp.get(invitation_url(UNKNOWN_ID), headers=admin.headers, status=404)
    assert response.content_type == PROBLEM


def test_get_without_credentials_gets_401(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    testapp.get(invitation_url(created["id"]), status=401)


def test_get_without_permission_gets_403(testapp, admin, factory, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    testapp.get(invitation_url(created["id"]), headers=factory.user().headers, status=403)


def test_owner_reads_own_invitation(testapp, admin, owner, workspace, other_workspace):
    mine = invite(testapp, admin.headers, workspace["id"]).json
    theirs = invite(testapp, admin.headers, other_workspace["id"]).json

    testapp.get(invitation_url(mine["id"]), headers=owner.headers, status=200)
    testapp.get(invitation_url(theirs["id"]), headers=owner.headers, status=403)


def test_list_envelope(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json

    body = testapp.get(INVITATIONS, headers=admin.headers).json

    assert set(body) == {"items", "next_cursor"}
    assert body["next_cursor"] is None
    assert body["items"] == [created]


def test_list_filters_by_workspace(testapp, admin, workspace, other_workspace):
    in_workspace = invite(testapp, admin.headers, workspace["id"], "a@example.com").json
    invite(testapp, admin.headers, other_workspace["id"], "b@example.com")

    body = testapp.get(INVITATIONS, {"workspace_id": workspace["id"]}, headers=admin.headers).json

    assert [item["id"] for item in body["items"]] == [in_workspace["id"]]


def test_list_filters_by_status(testapp, admin, factory, workspace):
    pending = invite(testapp, admin.headers, workspace["id"], "pending@example.com").json
    cancelled = invite(testapp, admin.headers, workspace["id"], "cancelled@example.com").json
    expired = invite(testapp, admin.headers, workspace["id"], "expired@example.com").json
    testapp.post_json(invitation_url(cancelled["id"], "cancel"), {}, headers=admin.headers)
    expire(factory, expired["id"])

    def listed(status: str) -> list[str]:
        params = {"invitation_status": status}
        return [
            item["id"]
            for item in testapp.get(INVITATIONS, params, headers=admin.headers).json["items"]
        ]

    assert listed("pending") == [pending["id"]]
    assert listed("cancelled") == [cancelled["id"]]
    assert listed("expired") == [expired["id"]]
    assert listed("accepted") == []


def test_list_combines_filters(testapp, admin, workspace, other_workspace):
    in_workspace = invite(testapp, admin.headers, workspace["id"], "a@example.com").json
    other = invite(testapp, admin.headers, other_workspace["id"], "b@example.com").json
    testapp.post_json(invitation_url(other["id"], "cancel"), {}, headers=admin.headers)

    params = {"workspace_id": workspace["id"], "invitation_status": "pending"}
    body = testapp.get(INVITATIONS, params, headers=admin.headers).json

    assert [item["id"] for item in body["items"]] == [in_workspace["id"]]


def test_list_sorts_newest_first(testapp, admin, workspace):
    ids = [
        invite(testapp, admin.headers, workspace["id"], f"u{index}@example.com").json["id"]
        for index in range(3)
    ]

    body = testapp.get(INVITATIONS, headers=admin.headers).json

    assert [item["id"] for item in body["items"]] == list(reversed(ids))


def test_list_sorts_by_email(testapp, admin, workspace):
    for name in ("carol", "Alice", "bob"):
        invite(testapp, admin.headers, workspace["id"], f"{name}@example.com")

    body = testapp.get(INVITATIONS, {"sort": "email"}, headers=admin.headers).json

    assert [item["email"] for item in body["items"]] == [
        "Alice@example.com",
        "bob@example.com",
        "carol@example.com",
    ]


def test_list_pages_with_cursor(testapp, admin, workspace):
    for index in range(5):
        invite(testapp, admin.headers, workspace["id"], f"u{index}@example.com")

    seen: list[str] = []
    params = {"limit": "2", "sort": "email"}
    cursor = None
    while True:
        page_params = {**params, "cursor": cursor} if cursor else params
        page = testapp.get(INVITATIONS, page_params, headers=admin.headers).json
        seen.extend(item["email"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [f"u{index}@example.com" for index in range(5)]


def test_list_invalid_status_gets_400(testapp, admin):
    response = testapp.get(
        INVITATIONS, {"invitation_status": "lost"}, headers=admin.headers, status=400
    )

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:invalid-query-parameter"


def test_list_unknown_parameter_gets_400(testapp, admin):
    testapp.get(INVITATIONS, {"email": "a@example.com"}, headers=admin.headers, status=400)


def test_list_without_credentials_gets_401(testapp):
    response = testapp.get(INVITATIONS, status=401)
    assert response.content_type == PROBLEM


def test_list_without_permission_gets_403(testapp, factory):
    response = testapp.get(INVITATIONS, headers=factory.user().headers, status=403)
    assert response.content_type == PROBLEM


def test_list_as_auditor(testapp, admin, factory, workspace, other_workspace):
    auditor = factory.user()
    testapp.post_json(
        "/api/v1/roleAssignments",
        {"role_id": AUDITOR_ROLE_ID, "principal_type": "user", "principal_id": auditor.user_id},
        headers=admin.headers,
    )
    invite(testapp, admin.headers, workspace["id"])
    invite(testapp, admin.headers, other_workspace["id"])

    body = testapp.get(INVITATIONS, headers=auditor.headers).json

    assert len(body["items"]) == 2


def test_owner_lists_own_workspace(testapp, admin, owner, workspace, other_workspace):
    mine = invite(testapp, admin.headers, workspace["id"]).json
    invite(testapp, admin.headers, other_workspace["id"])

    body = testapp.get(INVITATIONS, {"workspace_id": workspace["id"]}, headers=owner.headers).json

    assert [item["id"] for item in body["items"]] == [mine["id"]]


def test_owner_lists_other_workspace_gets_403(testapp, owner, other_workspace):
    params = {"workspace_id": other_workspace["id"]}
    testapp.get(INVITATIONS, params, headers=owner.headers, status=403)


def test_owner_lists_all_gets_403(testapp, owner):
    testapp.get(INVITATIONS, headers=owner.headers, status=403)


# --- Resend --------------------------------------------------------------------------


def test_resend_renews_invitation(testapp, admin, factory, registry, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    factory.update(Invitation, created["id"], expires_at=utcnow() + timedelta(hours=1))

    response = testapp.post_json(invitation_url(created["id"], "resend"), {}, headers=admin.headers)

    body = response.json
    assert response.status_int == 200
    assert body["sent_count"] == 2
    assert body["invitation_status"] == "pending"
    assert parse_time(body["expires_at"]) > utcnow() + lifetime(registry) - timedelta(minutes=1)
    assert parse_time(body["last_sent_at"]) >= parse_time(created["last_sent_at"])
    assert response.headers["ETag"] != '"1"'


def test_resend_twice_counts_sends(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    url = invitation_url(created["id"], "resend")

    testapp.post_json(url, {}, headers=admin.headers)
    body = testapp.post_json(url, {}, headers=admin.headers).json

    assert body["sent_count"] == 3


def test_resend_after_cancel_gets_409(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    testapp.post_json(invitation_url(created["id"], "cancel"), {}, headers=admin.headers)

    response = testapp.post_json(
        invitation_url(created["id"], "resend"), {}, headers=admin.headers, status=409
    )

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:invitation-not-pending"
    assert response.json["invitation_status"] == "cancelled"
    assert [delivery[2] for delivery in deliveries] == ["created"]


def test_resend_after_accept_gets_409(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    accept(testapp, created["id"], deliveries[0][1])

    response = testapp.post_json(
        invitation_url(created["id"], "resend"), {}, headers=admin.headers, status=409
    )

    assert response.json["invitation_status"] == "accepted"


def test_resend_after_expiry_gets_409(testapp, admin, factory, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    expire(factory, created["id"])

    response = testapp.post_json(
        invitation_url(created["id"], "resend"), {}, headers=admin.headers, status=409
    )

    assert response.json["type"] == "urn:access-platform:problem:invitation-not-pending"
    assert response.json["invitation_status"] == "expired"


def test_resend_unknown_invitation_gets_404(testapp, admin):
    testapp.post_json(invitation_url(UNKNOWN_ID, "resend"), {}, headers=admin.headers, status=404)


def test_resend_without_credentials_gets_401(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    testapp.post_json(invitation_url(created["id"], "resend"), {}, status=401)


def test_resend_without_permission_gets_403(testapp, admin, factory, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json

    testapp.post_json(
        invitation_url(created["id"], "resend"), {}, headers=factory.user().headers, status=403
    )

    fetched = testapp.get(invitation_url(created["id"]), headers=admin.headers).json
    assert fetched["sent_count"] == 1


def test_owner_resends_own_invitation(testapp, admin, owner, workspace, other_workspace):
    mine = invite(testapp, admin.headers, workspace["id"]).json
    theirs = invite(testapp, admin.headers, other_workspace["id"]).json

    testapp.post_json(invitation_url(mine["id"], "resend"), {}, headers=owner.headers, status=200)
    testapp.post_json(invitation_url(theirs["id"], "resend"), {}, headers=owner.headers, status=403)


# --- Cancel --------------------------------------------------------------------------


def test_cancel_returns_cancelled(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json

    response = testapp.post_json(invitation_url(created["id"], "cancel"), {}, headers=admin.headers)

    assert response.status_int == 200
    assert response.json["invitation_status"] == "cancelled"
    assert response.json["assignment_id"] is None
    fetched = testapp.get(invitation_url(created["id"]), headers=admin.headers).json
    assert fetched["invitation_status"] == "cancelled"


def test_cancel_removes_seeded_assignment(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json

    testapp.post_json(invitation_url(created["id"], "cancel"), {}, headers=admin.headers)

    assert workspace_assignments(testapp, admin.headers, workspace["id"]) == []
    testapp.get(
        f"/api/v1/roleAssignments/{created['assignment_id']}", headers=admin.headers, status=404
    )


def test_cancel_keeps_other_assignments(testapp, admin, factory, workspace):
    member = factory.user("member@example.com")
    kept_assignment = assign(
        testapp, admin.headers, workspace["id"], WORKSPACE_MEMBER_ROLE_ID, member.user_id
    ).json
    created = invite(
        testapp,
        admin.headers,
        workspace["id"],
        "member@example.com",
        role_id=WORKSPACE_OWNER_ROLE_ID,
    ).json

    testapp.post_json(invitation_url(created["id"], "cancel"), {}, headers=admin.headers)

    assignments = workspace_assignments(testapp, admin.headers, workspace["id"])
    assert [item["id"] for item in assignments] == [kept_assignment["id"]]


def test_cancel_twice_gets_409(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    url = invitation_url(created["id"], "cancel")
    testapp.post_json(url, {}, headers=admin.headers)

    response = testapp.post_json(url, {}, headers=admin.headers, status=409)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:invitation-not-pending"


def test_cancel_after_accept_gets_409(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    accept(testapp, created["id"], deliveries[0][1])

    response = testapp.post_json(
        invitation_url(created["id"], "cancel"), {}, headers=admin.headers, status=409
    )

    assert response.json["invitation_status"] == "accepted"
    assignments = workspace_assignments(testapp, admin.headers, workspace["id"])
    assert [item["id"] for item in assignments] == [created["assignment_id"]]


def test_cancel_after_expiry_gets_409(testapp, admin, factory, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    expire(factory, created["id"])

    response = testapp.post_json(
        invitation_url(created["id"], "cancel"), {}, headers=admin.headers, status=409
    )

    assert response.json["invitation_status"] == "expired"


def test_cancel_frees_email_for_new_invitation(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    testapp.post_json(invitation_url(created["id"], "cancel"), {}, headers=admin.headers)

    second = invite(testapp, admin.headers, workspace["id"]).json

    assert second["user_id"] == created["user_id"]
    assert second["invitation_status"] == "pending"


def test_cancel_unknown_invitation_gets_404(testapp, admin):
    testapp.post_json(invitation_url(UNKNOWN_ID, "cancel"), {}, headers=admin.headers, status=404)


def test_cancel_without_credentials_gets_401(testapp, admin, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    testapp.post_json(invitation_url(created["id"], "cancel"), {}, status=401)


def test_cancel_without_permission_gets_403(testapp, admin, factory, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json

    testapp.post_json(
        invitation_url(created["id"], "cancel"), {}, headers=factory.user().headers, status=403
    )

    fetched = testapp.get(invitation_url(created["id"]), headers=admin.headers).json
    assert fetched["invitation_status"] == "pending"


def test_owner_cancels_own_invitation(testapp, admin, owner, workspace, other_workspace):
    mine = invite(testapp, admin.headers, workspace["id"]).json
    theirs = invite(testapp, admin.headers, other_workspace["id"]).json

    testapp.post_json(invitation_url(mine["id"], "cancel"), {}, headers=owner.headers, status=200)
    testapp.post_json(invitation_url(theirs["id"], "cancel"), {}, headers=owner.headers, status=403)


# --- Expiry --------------------------------------------------------------------------


def test_expired_invitation_reads_expired(testapp, admin, factory, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    expire(factory, created["id"])

    body = testapp.get(invitation_url(created["id"]), headers=admin.headers).json

    assert body["invitation_status"] == "expired"


def test_invite_after_expiry_succeeds(testapp, admin, factory, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    expire(factory, created["id"])

    second = invite(testapp, admin.headers, workspace["id"]).json

    assert second["id"] != created["id"]
    assert second["invitation_status"] == "pending"
    assert second["user_id"] == created["user_id"]
    old = testapp.get(invitation_url(created["id"]), headers=admin.headers).json
    assert old["invitation_status"] == "expired"
    assert [delivery[0] for delivery in deliveries] == [created["id"], second["id"]]


def test_reinvite_after_expiry_accepts(testapp, admin, factory, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    expire(factory, created["id"])
    second = invite(testapp, admin.headers, workspace["id"]).json
    token = deliveries[-1][1]

    accept(testapp, second["id"], token)

    assignments = workspace_assignments(testapp, admin.headers, workspace["id"])
    assert [item["principal_id"] for item in assignments] == [second["user_id"]]


# --- Delivery ------------------------------------------------------------------------


def test_invite_delivers_token_once(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json

    assert len(deliveries) == 1
    invitation_id, token, event = deliveries[0]
    assert invitation_id == created["id"]
    assert event == "created"
    assert len(token) >= 32


def test_invite_delivers_after_commit(testapp, admin, factory, registry, workspace):
    seen: list[Invitation | None] = []

    class CommitCheck:
        @hookimpl
        def access_platform_invitation_issued(self, invitation, token, event, settings):
            # factory.get opens its own session, which reads only committed rows.
            seen.append(factory.get(Invitation, invitation.id))

    registry.plugin_manager.register(CommitCheck(), name=PLUGIN_NAME)
    try:
        created = invite(testapp, admin.headers, workspace["id"]).json
    finally:
        registry.plugin_manager.unregister(name=PLUGIN_NAME)

    assert len(seen) == 1
    assert seen[0] is not None
    assert seen[0].id == created["id"]


def test_resend_delivers_new_token(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json

    testapp.post_json(invitation_url(created["id"], "resend"), {}, headers=admin.headers)

    assert [(delivery[0], delivery[2]) for delivery in deliveries] == [
        (created["id"], "created"),
        (created["id"], "resent"),
    ]
    assert deliveries[0][1] != deliveries[1][1]


def test_cancel_delivers_nothing(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json

    testapp.post_json(invitation_url(created["id"], "cancel"), {}, headers=admin.headers)

    assert len(deliveries) == 1


def test_accept_delivers_nothing(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json

    accept(testapp, created["id"], deliveries[0][1])

    assert len(deliveries) == 1


def test_failed_requests_deliver_nothing(testapp, admin, factory, workspace, deliveries):
    invite(testapp, admin.headers, UNKNOWN_ID, status=404)
    invite(testapp, admin.headers, workspace["id"], "bad", status=422)
    invite(testapp, factory.user().headers, workspace["id"], status=403)
    created = invite(testapp, admin.headers, workspace["id"]).json
    invite(testapp, admin.headers, workspace["id"], status=409)
    testapp.post_json(invitation_url(created["id"], "cancel"), {}, headers=admin.headers)
    testapp.post_json(
        invitation_url(created["id"], "resend"), {}, headers=admin.headers, status=409
    )

    assert [delivery[2] for delivery in deliveries] == ["created"]


def test_failing_plugin_keeps_invitation(testapp, admin, registry, workspace, caplog):
    registry.plugin_manager.register(FailingDelivery(), name=PLUGIN_NAME)
    try:
        with caplog.at_level(logging.ERROR, logger=DELIVERY_LOGGER):
            created = invite(testapp, admin.headers, workspace["id"]).json
    finally:
        registry.plugin_manager.unregister(name=PLUGIN_NAME)

    testapp.get(invitation_url(created["id"]), headers=admin.headers, status=200)
    failures = [record for record in caplog.records if record.name == DELIVERY_LOGGER]
    assert len(failures) == 1
    assert created["id"] in failures[0].getMessage()
    assert failures[0].exc_info is not None


def test_builtin_delivery_logs_without_token(testapp, admin, workspace, deliveries, caplog):
    with caplog.at_level(logging.DEBUG):
        created = invite(testapp, admin.headers, workspace["id"]).json
        testapp.post_json(invitation_url(created["id"], "resend"), {}, headers=admin.headers)

    logged = [record.getMessage() for record in caplog.records if record.name == DELIVERY_LOGGER]
    assert len(logged) == 2
    assert created["id"] in logged[0]
    assert "created" in logged[0]
    assert "resent" in logged[1]
    for _, token, _ in deliveries:
        assert token not in caplog.text


# --- Accept --------------------------------------------------------------------------


def test_accept_activates_invited_user(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"], "New@Example.com").json
    token = deliveries[0][1]

    response = accept(testapp, created["id"], token, password=PASSWORD)

    body = response.json
    assert body["invitation_status"] == "accepted"
    assert body["accepted_at"] is not None
    assert body["assignment_id"] == created["assignment_id"]
    user = testapp.get(f"{USERS}/{created['user_id']}", headers=admin.headers).json
    assert user["status"] == "active"


def test_accept_allows_login(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"], "New@Example.com").json
    accept(testapp, created["id"], deliveries[0][1], password=PASSWORD)

    response = testapp.post_json(LOGIN, {"user_name": "new@example.com", "password": PASSWORD})

    assert response.json["user"]["id"] == created["user_id"]


def test_accept_grants_role(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    accept(testapp, created["id"], deliveries[0][1], password=PASSWORD)
    testapp.post_json(LOGIN, {"user_name": "new@example.com", "password": PASSWORD})

    body = testapp.get(f"{WORKSPACES}/{workspace['id']}").json

    assert body["id"] == workspace["id"]


def test_invited_user_cannot_login(testapp, admin, factory, workspace):
    created = invite(testapp, admin.headers, workspace["id"]).json
    factory.update(User, created["user_id"], password_hash=hash_password(PASSWORD))

    response = testapp.post_json(
        LOGIN, {"user_name": "new@example.com", "password": PASSWORD}, status=401
    )

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:login-failed"


def test_accept_wrong_token_gets_403(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json

    response = accept(testapp, created["id"], "not-the-token", status=403)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:invitation-token-invalid"
    fetched = testapp.get(invitation_url(created["id"]), headers=admin.headers).json
    assert fetched == created
    user = testapp.get(f"{USERS}/{created['user_id']}", headers=admin.headers).json
    assert user["status"] == "invited"


def test_accept_token_of_other_invitation_gets_403(testapp, admin, workspace, deliveries):
    first = invite(testapp, admin.headers, workspace["id"], "a@example.com").json
    invite(testapp, admin.headers, workspace["id"], "b@example.com")
    other_token = deliveries[1][1]

    accept(testapp, first["id"], other_token, status=403)


def test_accept_twice_gets_409(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    token = deliveries[0][1]
    accept(testapp, created["id"], token)

    response = accept(testapp, created["id"], token, status=409)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:invitation-not-pending"


def test_accept_after_cancel_gets_409(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    testapp.post_json(invitation_url(created["id"], "cancel"), {}, headers=admin.headers)

    response = accept(testapp, created["id"], deliveries[0][1], status=409)

    assert response.json["invitation_status"] == "cancelled"
    user = testapp.get(f"{USERS}/{created['user_id']}", headers=admin.headers).json
    assert user["status"] == "invited"


def test_accept_after_expiry_gets_409(testapp, admin, factory, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    expire(factory, created["id"])

    response = accept(testapp, created["id"], deliveries[0][1], status=409)

    assert response.json["invitation_status"] == "expired"
    user = testapp.get(f"{USERS}/{created['user_id']}", headers=admin.headers).json
    assert user["status"] == "invited"


def test_accept_old_token_after_resend_gets_403(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    testapp.post_json(invitation_url(created["id"], "resend"), {}, headers=admin.headers)
    old_token, new_token = deliveries[0][1], deliveries[1][1]

    response = accept(testapp, created["id"], old_token, status=403)

    assert response.json["type"] == "urn:access-platform:problem:invitation-token-invalid"
    accept(testapp, created["id"], new_token, status=200)


def test_accept_without_password(testapp, admin, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json

    body = testapp.post_json(
        invitation_url(created["id"], "accept"), {"token": deliveries[0][1]}
    ).json

    assert body["invitation_status"] == "accepted"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "#/token"),
        ({"token": ""}, "#/token"),
        ({"token": 5}, "#/token"),
        ({"token": "x", "password": "short"}, "#/password"),
        ({"token": "x", "user_id": UNKNOWN_ID}, "#/user_id"),
    ],
)
def test_accept_rejects_invalid_field(testapp, admin, workspace, body, pointer):
    created = invite(testapp, admin.headers, workspace["id"]).json

    response = testapp.post_json(invitation_url(created["id"], "accept"), body, status=422)

    assert response.content_type == PROBLEM
    assert pointer in pointers(response)


def test_accept_unknown_invitation_gets_404(testapp, admin):
    response = testapp.post_json(
        invitation_url(UNKNOWN_ID, "accept"),
        {"token": "any-token"},
        headers=admin.headers,
        status=404,
    )
    assert response.content_type == PROBLEM


def test_accept_unknown_invitation_anonymous_gets_401(testapp):
    # Without credentials, every unknown path under /api/v1 is a 401, so ids cannot be probed.
    response = accept(testapp, UNKNOWN_ID, "any-token", status=401)
    assert response.content_type == PROBLEM


def test_accept_ignores_caller_credentials(testapp, admin, factory, workspace, deliveries):
    created = invite(testapp, admin.headers, workspace["id"]).json
    bystander = factory.user()

    response = testapp.post_json(
        invitation_url(created["id"], "accept"),
        {"token": deliveries[0][1], "password": PASSWORD},
        headers=bystander.headers,
    )

    assert response.json["user_id"] == created["user_id"]


# --- Concurrency ---------------------------------------------------------------------


def run_concurrently(wsgi_app, headers, bodies: list[dict]) -> list[int]:
    """POST the bodies to /api/v1/invitations from parallel threads and return the statuses."""
    statuses: list[int] = []
    barrier = threading.Barrier(len(bodies))

    def attempt(body: dict) -> None:
        app = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        barrier.wait()
        response = app.post_json(INVITATIONS, body, headers=headers, expect_errors=True)
        statuses.append(response.status_int)

    threads = [threading.Thread(target=attempt, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_invites_give_one_201(testapp, wsgi_app, admin, workspace, deliveries):
    spellings = ["race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM"]
    bodies = [
        {"email": email, "workspace_id": workspace["id"], "role_id": WORKSPACE_MEMBER_ROLE_ID}
        for email in spellings
    ]

    statuses = run_concurrently(wsgi_app, admin.headers, bodies)

    assert sorted(statuses) == [201, 409, 409, 409]
    assert len(testapp.get(INVITATIONS, headers=admin.headers).json["items"]) == 1
    assert len(deliveries) == 1


def test_concurrent_invites_to_workspaces(testapp, wsgi_app, admin):
    workspaces = [
        testapp.post_json(WORKSPACES, {"name": f"ws-{index}"}, headers=admin.headers).json
        for index in range(3)
    ]
    bodies = [
        {
            "email": "race@example.com",
            "workspace_id": item["id"],
            "role_id": WORKSPACE_MEMBER_ROLE_ID,
        }
        for item in workspaces
    ]

    statuses = run_concurrently(wsgi_app, admin.headers, bodies)

    assert statuses == [201, 201, 201]
    invited = testapp.get(USERS, {"status": "invited"}, headers=admin.headers).json["items"]
    assert len(invited) == 1
