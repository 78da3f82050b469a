"""GET /api/v1/auditEvents over HTTP: filters, paging, one event, permission, read-only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from access_platform.rbac.models import AUDITOR_ROLE_ID, USER_ADMIN_ROLE_ID
from tests.functional.audit_helpers import AUDIT, actions, audit_events, only_event

USERS = "/api/v1/users"
GROUPS = "/api/v1/groups"
ASSIGNMENTS = "/api/v1/roleAssignments"
UNKNOWN_ID = "00000000-0000-4000-8000-00000000abcd"


def make_users(testapp, headers, count: int, prefix: str = "user") -> list[dict]:
    return [
        testapp.post_json(
            USERS, {"user_name": f"{prefix}{index}@example.com"}, headers=headers
        ).json
        for index in range(count)
    ]


def assign(testapp, admin, role_id, user_id) -> None:
    testapp.post_json(
        ASSIGNMENTS,
        {"role_id": role_id, "principal_type": "user", "principal_id": user_id},
        headers=admin.headers,
    )


# --- Listing and paging -----------------------------------------------------------------------


def test_list_is_newest_first_with_envelope(testapp, admin):
    users = make_users(testapp, admin.headers, 3)

    body = testapp.get(AUDIT, {"count": "true"}, headers=admin.headers).json

    assert set(body) == {"items", "next_cursor", "total"}
    assert body["next_cursor"] is None
    assert body["total"] == 3
    assert [event["target"]["id"] for event in body["items"]] == [
        user["id"] for user in reversed(users)
    ]
    times = [event["occurred_at"] for event in body["items"]]
    assert times == sorted(times, reverse=True)


def test_cursor_pages_cover_every_event_once(testapp, admin):
    users = make_users(testapp, admin.headers, 5)

    first = testapp.get(AUDIT, {"limit": "2"}, headers=admin.headers).json
    second = testapp.get(
        AUDIT, {"limit": "2", "cursor": first["next_cursor"]}, headers=admin.headers
    ).json
    third = testapp.get(
        AUDIT, {"limit": "2", "cursor": second["next_cursor"]}, headers=admin.headers
    ).json

    paged = [event["target"]["id"] for page in (first, second, third) for event in page["items"]]
    assert paged == [user["id"] for user in reversed(users)]
    assert third["next_cursor"] is None


def test_events_added_while_paging_do_not_shift_pages(testapp, admin):
    make_users(testapp, admin.headers, 3)
    first = testapp.get(AUDIT, {"limit": "2"}, headers=admin.headers).json

    make_users(testapp, admin.headers, 2, prefix="late")
    second = testapp.get(
        AUDIT, {"limit": "2", "cursor": first["next_cursor"]}, headers=admin.headers
    ).json

    assert len(second["items"]) == 1
    assert second["items"][0]["changes"]["user_name"] == "user0@example.com"


def test_ascending_sort(testapp, admin):
    users = make_users(testapp, admin.headers, 3)

    body = testapp.get(AUDIT, {"sort": "occurred_at"}, headers=admin.headers).json

    assert [event["target"]["id"] for event in body["items"]] == [user["id"] for user in users]


def test_get_one_event(testapp, admin):
    make_users(testapp, admin.headers, 1)
    listed = only_event(testapp, admin.headers)

    body = testapp.get(f"{AUDIT}/{listed['id']}", headers=admin.headers).json

    assert body == listed


def test_unknown_event_is_404(testapp, admin):
    testapp.get(f"{AUDIT}/{UNKNOWN_ID}", headers=admin.headers, status=404)


# --- Filters ------------------------------------------------------------------------------


def test_filter_by_actor_and_credential(testapp, admin, factory):
    other = factory.user("other-admin@example.com", admin=True)
    make_users(testapp, admin.headers, 2, prefix="mine")
    make_users(testapp, other.headers, 1, prefix="theirs")

    by_actor = audit_events(testapp, admin.headers, actor_id=other.user_id)
    by_credential = audit_events(testapp, admin.headers, credential_id=admin.api_key_id)

    assert [event["changes"]["user_name"] for event in by_actor] == ["theirs0@example.com"]
    assert len(by_credential) == 2
    assert {event["actor"]["id"] for event in by_credential} == {admin.user_id}


def test_filter_by_action_and_target(testapp, admin):
    user = make_users(testapp, admin.headers, 1)[0]
    group = testapp.post_json(GROUPS, {"display_name": "Staff"}, headers=admin.headers).json
    testapp.patch_json(f"{USERS}/{user['id']}", {"display_name": "Kim"}, headers=admin.headers)

    assert actions(audit_events(testapp, admin.headers, target_id=user["id"])) == [
        "user.create",
        "user.update",
    ]
    assert actions(audit_events(testapp, admin.headers, target_type="group")) == ["group.create"]
    assert only_event(testapp, admin.headers, action="group.create")["target"]["id"] == group["id"]
    assert audit_events(testapp, admin.headers, target_type="group", target_id=user["id"]) == []


def test_filter_by_request_id(testapp, admin):
    testapp.post_json(
        USERS, {"user_name": "kim@example.com"}, headers={**admin.headers, "X-Request-Id": "r-1"}
    )
    make_users(testapp, admin.headers, 1)

    assert only_event(testapp, admin.headers, request_id="r-1")["changes"]["user_name"] == (
        "kim@example.com"
    )


def test_filter_by_time_range(testapp, admin):
    make_users(testapp, admin.headers, 1, prefix="early")
    boundary = only_event(testapp, admin.headers)["occurred_at"]
    make_users(testapp, admin.headers, 1, prefix="late")

    since = audit_events(testapp, admin.headers, since=boundary)
    until = audit_events(testapp, admin.headers, until=boundary)
    # The same instant, written with another UTC offset.
    shifted = datetime.fromisoformat(boundary).astimezone(timezone(timedelta(hours=2)))

    assert [event["changes"]["user_name"] for event in since] == [
        "late0@example.com",
        "early0@example.com",
    ]
    assert until == []
    assert len(audit_events(testapp, admin.headers, since=shifted.isoformat())) == 2
    assert audit_events(testapp, admin.headers, since="2999-01-01T00:00:00Z") == []
    assert len(audit_events(testapp, admin.headers, until="2999-01-01T00:00:00+02:00")) == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("since", "yesterday"),
        ("since", "2027-01-31T09:00:00"),
        ("until", "0001-01-01T00:00:00+01:00"),
        ("since", "9999-12-31T23:59:59-01:00"),
        ("actor", "someone"),
        ("sort", "action"),
        ("limit", "0"),
        ("cursor", "not-a-cursor"),
    ],
)
def test_invalid_parameter_is_400(testapp, admin, name, value):
    response = testapp.get(AUDIT, {name: value}, headers=admin.headers, status=400)

    assert response.json["type"] == "urn:access-platform:problem:invalid-query-parameter"
    assert response.json["errors"][0]["parameter"] == name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("actor_id", "x" * 5000),
        ("target_id", "\u00fc\u4e2d\U0001f600"),
        ("request_id", "a'; DROP TABLE audit_events; --"),
        ("action", "%"),
    ],
)
def test_odd_filter_values_match_nothing(testapp, admin, name, value):
    make_users(testapp, admin.headers, 1)

    body = testapp.get(AUDIT, {name: value}, headers=admin.headers).json

    assert body["items"] == []
    assert len(audit_events(testapp, admin.headers)) == 1


def test_overlong_event_id_is_404(testapp, admin):
    testapp.get(f"{AUDIT}/{'x' * 5000}", headers=admin.headers, status=404)


# --- Permission and read-only -------------------------------------------------------------


def test_needs_audit_read(testapp, admin, factory):
    user_admin = factory.user("user-admin@example.com")
    assign(testapp, admin, USER_ADMIN_ROLE_ID, user_admin.user_id)
    event_id = only_event(testapp, admin.headers)["id"]

    listed = testapp.get(AUDIT, headers=user_admin.headers, status=403)
    single = testapp.get(f"{AUDIT}/{event_id}", headers=user_admin.headers, status=403)

    assert "audit.read" in listed.json["detail"]
    assert "audit.read" in single.json["detail"]


def test_auditor_role_holds_audit_read(testapp, admin, factory):
    auditor = factory.user("auditor@example.com")
    assign(testapp, admin, AUDITOR_ROLE_ID, auditor.user_id)

    role = testapp.get(f"/api/v1/roles/{AUDITOR_ROLE_ID}", headers=admin.headers).json
    events = audit_events(testapp, auditor.headers)

    assert "audit.read" in role["permissions"]
    assert actions(events) == ["role_assignment.create"]


def test_audit_read_is_in_the_catalogue(testapp, admin):
    body = testapp.get("/api/v1/permissions", {"resource": "audit"}, headers=admin.headers).json

    assert [permission["name"] for permission in body["items"]] == ["audit.read"]


def test_unauthenticated_is_401(testapp):
    testapp.get(AUDIT, status=401)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_are_405_with_allow(testapp, admin, method):
    make_users(testapp, admin.headers, 1)
    event_id = only_event(testapp, admin.headers)["id"]

    for path in (AUDIT, f"{AUDIT}/{event_id}"):
        response = testapp.request(
            path,
            method=method,
            body=b"{}",
            headers={**admin.headers, "Content-Type": "application/json"},
            status=405,
        )
        assert response.headers["Allow"] == "GET, HEAD"

    assert testapp.get(f"{AUDIT}/{event_id}", headers=admin.headers).json["id"] == event_id
