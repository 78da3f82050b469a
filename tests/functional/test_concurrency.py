"""Concurrent requests against a real multi-threaded server: no lost writes and no 5xx.

The last tests make writes fail as a lost race does (a serialization
failure on PostgreSQL, a busy database on SQLite) and check that the
request is run again, and that it gets 503 once every attempt failed.

The app runs in waitress on 127.0.0.1, in a thread of the test process,
and each test sends its requests from many client threads at once, each
on a connection of its own. Every test runs against the database under
test, so the same checks cover SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from tests.functional.live_server import TIMEOUT_SECONDS, LiveServer, Reply
from tests.functional.scim_helpers import GROUP_URN, PATCH_URN, SCIM

# Requests sent at once by each test.
PARALLEL = 20


@pytest.fixture(scope="module")
def live_server(wsgi_app: Any) -> Iterator[LiveServer]:
    server = LiveServer(wsgi_app)
    yield server
    server.stop()


def in_parallel(calls: list[Callable[[], Reply]]) -> list[Reply]:
    """Run ``calls`` from one thread each, released together, and return the replies in order."""
    barrier = threading.Barrier(len(calls))

    def released(call: Callable[[], Reply]) -> Reply:
        barrier.wait(timeout=TIMEOUT_SECONDS)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(released, calls))


def statuses(replies: list[Reply]) -> Counter[int]:
    return Counter(reply.status for reply in replies)


def assert_no_server_errors(replies: list[Reply]) -> None:
    failures = [(reply.status, reply.body) for reply in replies if reply.status >= 500]
    assert failures == []


# --- Creates ------------------------------------------------------------------------------


def test_parallel_creates_of_one_name(live_server, admin):
    spellings = ["race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM"]
    calls = [
        lambda name=spellings[number % 4]: live_server.request(
            "POST", "/api/v1/users", {"user_name": name}, admin.headers
        )
        for number in range(PARALLEL)
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {201: 1, 409: PARALLEL - 1}
    conflicts = {reply.body["type"] for reply in replies if reply.status == 409}
    assert conflicts == {"urn:access-platform:problem:user-name-taken"}
    listed = live_server.request(
        "GET", "/api/v1/users?user_name=race@example.com", None, admin.headers
    )
    assert len(listed.body["items"]) == 1


def test_parallel_creates_with_passwords(live_server, admin):
    # Each create hashes a password, which keeps SQLite's write lock held
    # longer, so later requests wait for it.
    calls = [
        lambda number=number: live_server.request(
            "POST",
            "/api/v1/users",
            {"user_name": f"hashed-{number}@example.com", "password": "a long enough password"},
            admin.headers,
        )
        for number in range(PARALLEL)
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {201: PARALLEL}


def test_parallel_scim_creates_of_one_name(live_server, scim_headers):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "scim-race"}
    calls = [
        lambda: live_server.request("POST", "/scim/v2/Users", body, scim_headers, SCIM)
        for _ in range(PARALLEL)
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {201: 1, 409: PARALLEL - 1}
    assert {reply.body.get("scimType") for reply in replies if reply.status == 409} == {
        "uniqueness"
    }


# --- Group members ------------------------------------------------------------------------


def test_parallel_member_adds_lose_none(live_server, factory, admin):
    group = live_server.request("POST", "/api/v1/groups", {"display_name": "crowd"}, admin.headers)
    group_id = group.body["id"]
    members = [factory.user().user_id for _ in range(PARALLEL)]
    calls = [
        lambda member=member: live_server.request(
            "POST",
            f"/api/v1/groups/{group_id}/members/$ref",
            {"@odata.id": f"users/{member}"},
            admin.headers,
        )
        for member in members
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {200: PARALLEL}
    listed = live_server.request(
        "GET", f"/api/v1/groups/{group_id}/members?limit=1000", None, admin.headers
    )
    assert sorted(item["id"] for item in listed.body["items"]) == sorted(members)


def test_parallel_adds_of_one_member(live_server, factory, admin):
    group = live_server.request("POST", "/api/v1/groups", {"display_name": "one"}, admin.headers)
    member = factory.user().user_id
    calls = [
        lambda: live_server.request(
            "POST",
            f"/api/v1/groups/{group.body['id']}/members/$ref",
            {"@odata.id": f"users/{member}"},
            admin.headers,
        )
        for _ in range(PARALLEL)
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {200: 1, 409: PARALLEL - 1}


def test_parallel_nesting_forms_no_cycle(live_server, admin):
    first = live_server.request("POST", "/api/v1/groups", {"display_name": "a"}, admin.headers)
    second = live_server.request("POST", "/api/v1/groups", {"display_name": "b"}, admin.headers)
    pairs = [(first.body["id"], second.body["id"]), (second.body["id"], first.body["id"])]
    # Half the requests put first into second, the other half second into first.
    calls = [
        lambda parent=pair[0], child=pair[1]: live_server.request(
            "POST",
            f"/api/v1/groups/{parent}/members/$ref",
            {"@odata.id": f"groups/{child}"},
            admin.headers,
        )
        for pair in pairs * (PARALLEL // 2)
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {200: 1, 409: PARALLEL - 1}


def test_parallel_scim_member_patches_lose_none(live_server, factory, scim_headers):
    created = live_server.request(
        "POST",
        "/scim/v2/Groups",
        {"schemas": [GROUP_URN], "displayName": "scim-crowd"},
        scim_headers,
        SCIM,
    )
    path = f"/scim/v2/Groups/{created.body['id']}"
    members = [factory.user().user_id for _ in range(PARALLEL)]
    calls = [
        lambda member=member: live_server.request(
            "PATCH",
            path,
            {
                "schemas": [PATCH_URN],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": member}]}],
            },
            scim_headers,
            SCIM,
        )
        for member in members
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {200: PARALLEL}
    group = live_server.request("GET", path, None, scim_headers)
    assert sorted(member["value"] for member in group.body["members"]) == sorted(members)


# --- If-Match -----------------------------------------------------------------------------


def test_parallel_patches_with_one_etag(live_server, factory, admin):
    user = factory.user()
    path = f"/api/v1/users/{user.user_id}"
    etag = live_server.request("GET", path, None, admin.headers).headers["ETag"]
    calls = [
        lambda number=number: live_server.request(
            "PATCH",
            path,
            {"display_name": f"writer {number}"},
            {**admin.headers, "If-Match": etag},
        )
        for number in range(PARALLEL)
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {200: 1, 412: PARALLEL - 1}
    winner = next(reply for reply in replies if reply.status == 200)
    current = live_server.request("GET", path, None, admin.headers)
    assert current.body["display_name"] == winner.body["display_name"]
    assert current.headers["ETag"] == winner.headers["ETag"] != etag


def test_parallel_scim_patches_with_one_etag(live_server, factory, scim_headers):
    user = factory.user()
    path = f"/scim/v2/Users/{user.user_id}"
    etag = live_server.request("GET", path, None, scim_headers).headers["ETag"]
    calls = [
        lambda number=number: live_server.request(
            "PATCH",
            path,
            {
                "schemas": [PATCH_URN],
                "Operations": [{"op": "replace", "path": "displayName", "value": f"w{number}"}],
            },
            {**scim_headers, "If-Match": etag},
            SCIM,
        )
        for number in range(PARALLEL)
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {200: 1, 412: PARALLEL - 1}


def test_parallel_patches_without_etag_all_apply(live_server, factory, admin):
    user = factory.user()
    path = f"/api/v1/users/{user.user_id}"
    calls = [
        lambda number=number: live_server.request(
            "PATCH", path, {"display_name": f"writer {number}"}, admin.headers
        )
        for number in range(PARALLEL)
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {200: PARALLEL}
    versions = sorted(int(reply.headers["ETag"].strip('"')) for reply in replies)
    assert versions == list(range(2, PARALLEL + 2))


# --- Login throttling ---------------------------------------------------------------------


def test_parallel_failed_logins_all_counted(live_server, factory, registry):
    user = factory.user(password="the right password")
    maximum = registry.settings["access_platform.login_throttle.account_max_failures"]
    calls = [
        lambda: live_server.request(
            "POST", "/api/v1/auth/login", {"user_name": user.user_name, "password": "wrong"}
        )
        for _ in range(PARALLEL)
    ]

    replies = in_parallel(calls)

    assert_no_server_errors(replies)
    assert statuses(replies) == {401: maximum, 429: PARALLEL - maximum}
    right = live_server.request(
        "POST",
        "/api/v1/auth/login",
        {"user_name": user.user_name, "password": "the right password"},
    )
    assert right.status == 429


# --- Retries ------------------------------------------------------------------------------


def transient_error(dialect_name: str) -> Exception:
    """Return the driver error that a lost race raises on ``dialect_name``."""
    if dialect_name == "postgresql":
        return psycopg.errors.SerializationFailure(
            "could not serialize access due to concurrent update"
        )
    return sqlite3.OperationalError("database is locked")


@pytest.fixture
def failing_updates(registry) -> Iterator[dict[str, int]]:
    """Make the next ``remaining`` UPDATEs of users fail as a lost race would."""
    engine = registry.db_engine
    state = {"remaining": 0, "raised": 0}

    def fail_update(connection, cursor, statement, parameters, context, executemany):
        if state["remaining"] and statement.startswith("UPDATE users"):
            state["remaining"] -= 1
            state["raised"] += 1
            raise transient_error(engine.dialect.name)
        return statement, parameters

    event.listen(engine, "before_cursor_execute", fail_update, retval=True)
    yield state
    event.remove(engine, "before_cursor_execute", fail_update)


def test_transient_failure_is_retried(live_server, factory, admin, registry, failing_updates):
    user = factory.user()
    path = f"/api/v1/users/{user.user_id}"
    failing_updates["remaining"] = int(registry.settings["retry.attempts"]) - 1

    reply = live_server.request("PATCH", path, {"display_name": "after retries"}, admin.headers)

    assert reply.status == 200
    assert failing_updates["raised"] == int(registry.settings["retry.attempts"]) - 1
    assert reply.body["display_name"] == "after retries"
    assert reply.headers["ETag"] == '"2"'


def test_persistent_failure_gets_503(live_server, factory, admin, registry, failing_updates):
    user = factory.user()
    path = f"/api/v1/users/{user.user_id}"
    failing_updates["remaining"] = int(registry.settings["retry.attempts"])

    reply = live_server.request("PATCH", path, {"display_name": "never stored"}, admin.headers)

    assert reply.status == 503
    assert reply.body["type"] == "urn:access-platform:problem:database-unavailable"
    assert reply.headers["Retry-After"]
    current = live_server.request("GET", path, None, admin.headers)
    assert current.body["display_name"] == user.user_name
