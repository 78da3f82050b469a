"""Login throttling: failed logins per user name and per client address, shared by every process."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy import event

from access_platform import main
from access_platform.auth import passwords
from access_platform.auth.throttle import LoginThrottle, client_network
from access_platform.db import session_scope, utcnow

LOGIN = "/api/v1/auth/login"
PASSWORD = "throttle test password"
ACCOUNT_MAX = 3
ADDRESS_MAX = 5
LOCKOUT_SECONDS = 600
WINDOW_SECONDS = 300
TOO_MANY = "urn:access-platform:problem:too-many-requests"


@pytest.fixture(scope="module")
def throttled_app(app_settings: dict[str, str]) -> Any:
    settings = dict(app_settings)
    settings["access_platform.login_throttle.account_max_failures"] = str(ACCOUNT_MAX)
    settings["access_platform.login_throttle.address_max_failures"] = str(ADDRESS_MAX)
    settings["access_platform.login_throttle.window_seconds"] = str(WINDOW_SECONDS)
    settings["access_platform.login_throttle.lockout_seconds"] = str(LOCKOUT_SECONDS)
    return main({}, **settings)


def client(app: Any, address: str = "192.0.2.10") -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": address})


def log_in(app: webtest.TestApp, user_name: str, password: str = PASSWORD) -> Any:
    return app.post_json(LOGIN, {"user_name": user_name, "password": password}, expect_errors=True)


def without_digits(text: str) -> str:
    return re.sub(r"[0-9]+", "N", text)


def fail_logins(app: webtest.TestApp, user_name: str, times: int) -> list[int]:
    return [log_in(app, user_name, "wrong password").status_int for _ in range(times)]


def counters(throttled_app: Any) -> list[LoginThrottle]:
    with session_scope(throttled_app.app.registry.db_session_factory) as dbsession:
        return list(dbsession.scalars(sa.select(LoginThrottle)))


def shift_counters(throttled_app: Any, by: timedelta) -> None:
    """Move every counter's timestamps into the past, as if ``by`` had elapsed."""
    with session_scope(throttled_app.app.registry.db_session_factory) as dbsession:
        for row in dbsession.scalars(sa.select(LoginThrottle)):
            row.window_started_at -= by
            row.expires_at -= by
            if row.blocked_until is not None:
                row.blocked_until -= by


def test_account_blocked_after_max_failures(throttled_app, factory):
    user = factory.user(password=PASSWORD)
    app = client(throttled_app)

    assert fail_logins(app, user.user_name, ACCOUNT_MAX) == [401] * ACCOUNT_MAX
    response = log_in(app, user.user_name)

    assert response.status_int == 429
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == TOO_MANY
    assert response.json["status"] == 429
    assert 0 < int(response.headers["Retry-After"]) <= LOCKOUT_SECONDS
    assert "Set-Cookie" not in response.headers


def test_unknown_user_throttled_like_known(throttled_app, factory):
    user = factory.user(password=PASSWORD)
    known = client(throttled_app, "192.0.2.21")
    unknown = client(throttled_app, "192.0.2.22")

    known_statuses = fail_logins(known, user.user_name, ACCOUNT_MAX + 1)
    unknown_statuses = fail_logins(unknown, "nobody@example.com", ACCOUNT_MAX + 1)
    known_rejection = log_in(known, user.user_name)
    unknown_rejection = log_in(unknown, "nobody@example.com")

    assert known_statuses == unknown_statuses == [401] * ACCOUNT_MAX + [429]
    assert known_rejection.status_int == unknown_rejection.status_int == 429
    assert set(known_rejection.json) == set(unknown_rejection.json)
    for name in ("type", "title", "status", "instance"):
        assert known_rejection.json[name] == unknown_rejection.json[name]
    # The seconds left differ only by the time between the two blocks.
    assert without_digits(known_rejection.json["detail"]) == without_digits(
        unknown_rejection.json["detail"]
    )
    known_wait = int(known_rejection.headers["Retry-After"])
    unknown_wait = int(unknown_rejection.headers["Retry-After"])
    assert abs(known_wait - unknown_wait) <= 30


class CountingHasher:
    """Wraps the password hasher to count verifications."""

    def __init__(self, hasher: Any) -> None:
        self.hasher = hasher
        self.verifications = 0

    def verify(self, stored_hash: str, password: str) -> bool:
        self.verifications += 1
        return self.hasher.verify(stored_hash, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hasher, name)


def test_unknown_user_does_same_work_as_known(throttled_app, factory, monkeypatch):
    user = factory.user(password=PASSWORD)
    hasher = CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    engine = throttled_app.app.registry.db_engine
    statements: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        work = []
        for user_name, address in ((user.user_name, "192.0.2.61"), ("nobody@x.org", "192.0.2.62")):
            statements.clear()
            hasher.verifications = 0
            for _ in range(ACCOUNT_MAX + 1):
                log_in(client(throttled_app, address), user_name, "wrong password")
            work.append((list(statements), hasher.verifications))
            shift_counters(throttled_app, timedelta(seconds=LOCKOUT_SECONDS + WINDOW_SECONDS))
    finally:
        event.remove(engine, "before_cursor_execute", record)

    (known_statements, known_verifications), (unknown_statements, unknown_verifications) = work
    # The unit of work updates the two counters in the order of their
    # digests, which depends on the user name, so only the order may differ.
    assert Counter(known_statements) == Counter(unknown_statements)
    assert known_verifications == unknown_verifications == ACCOUNT_MAX


def test_user_name_counts_ignoring_case(throttled_app, factory):
    user = factory.user("Case.Throttle@example.com", password=PASSWORD)
    app = client(throttled_app)

    fail_logins(app, "case.throttle@example.com", ACCOUNT_MAX)

    assert log_in(app, user.user_name).status_int == 429


def test_account_blocked_from_every_address(throttled_app, factory):
    user = factory.user(password=PASSWORD)
    for number in range(ACCOUNT_MAX):
        fail_logins(client(throttled_app, f"198.51.100.{number}"), user.user_name, 1)

    assert log_in(client(throttled_app, "203.0.113.9"), user.user_name).status_int == 429


def test_address_blocked_for_every_user_name(throttled_app, factory):
    user = factory.user(password=PASSWORD)
    attacker = client(throttled_app, "192.0.2.30")

    statuses = [
        log_in(attacker, f"guess-{number}@example.com", "wrong").status_int
        for number in range(ADDRESS_MAX)
    ]

    assert statuses == [401] * ADDRESS_MAX
    assert log_in(attacker, user.user_name).status_int == 429
    assert log_in(client(throttled_app, "192.0.2.31"), user.user_name).status_int == 200


def test_ipv6_address_counts_by_network():
    assert client_network("2001:db8:1:2:aaaa::1") == client_network("2001:db8:1:2:bbbb::7")
    assert client_network("2001:db8:1:2::1") != client_network("2001:db8:1:3::1")
    assert client_network("::ffff:192.0.2.1") == client_network("192.0.2.1") == "192.0.2.1"
    assert client_network(None) is None


def test_success_resets_account_counter(throttled_app, factory):
    user = factory.user(password=PASSWORD)
    app = client(throttled_app, "192.0.2.40")

    fail_logins(app, user.user_name, ACCOUNT_MAX - 1)
    assert log_in(app, user.user_name).status_int == 200

    assert fail_logins(app, user.user_name, ACCOUNT_MAX - 1) == [401] * (ACCOUNT_MAX - 1)
    assert log_in(app, user.user_name).status_int == 200


def test_success_keeps_address_counter(throttled_app, factory):
    own = factory.user(password=PASSWORD)
    attacker = client(throttled_app, "192.0.2.50")

    for number in range(ADDRESS_MAX - 1):
        log_in(attacker, f"guess-{number}@example.com", "wrong")
    assert log_in(attacker, own.user_name).status_int == 200
    log_in(attacker, "one-more@example.com", "wrong")

    assert log_in(attacker, own.user_name).status_int == 429


def test_block_ends_after_lockout(throttled_app, factory):
    user = factory.user(password=PASSWORD)
    app = client(throttled_app)
    fail_logins(app, user.user_name, ACCOUNT_MAX)

    shift_counters(throttled_app, timedelta(seconds=LOCKOUT_SECONDS + 1))

    assert log_in(app, user.user_name).status_int == 200


def test_failures_outside_window_do_not_count(throttled_app, factory):
    user = factory.user(password=PASSWORD)
    app = client(throttled_app)
    fail_logins(app, user.user_name, ACCOUNT_MAX - 1)

    shift_counters(throttled_app, timedelta(seconds=WINDOW_SECONDS + 1))

    assert fail_logins(app, user.user_name, ACCOUNT_MAX - 1) == [401] * (ACCOUNT_MAX - 1)
    assert log_in(app, user.user_name).status_int == 200


def test_throttled_logins_are_not_counted(throttled_app, factory):
    user = factory.user(password=PASSWORD)
    app = client(throttled_app)
    fail_logins(app, user.user_name, ACCOUNT_MAX)
    fail_logins(app, user.user_name, 3)

    shift_counters(throttled_app, timedelta(seconds=LOCKOUT_SECONDS + 1))

    assert fail_logins(app, user.user_name, ACCOUNT_MAX - 1) == [401] * (ACCOUNT_MAX - 1)
    assert log_in(app, user.user_name).status_int == 200


def test_counters_shared_between_processes(throttled_app, app_settings, factory):
    # A second application object has its own engine and connection pool,
    # as a second server process would.
    settings = dict(app_settings)
    settings["access_platform.login_throttle.account_max_failures"] = str(ACCOUNT_MAX)
    other_process = main({}, **settings)
    user = factory.user(password=PASSWORD)

    fail_logins(client(throttled_app), user.user_name, ACCOUNT_MAX)

    assert log_in(client(other_process), user.user_name).status_int == 429
    other_process.app.registry.db_engine.dispose()


def test_expired_counters_are_pruned(throttled_app, factory):
    past = utcnow() - timedelta(days=1)
    with session_scope(throttled_app.app.registry.db_session_factory) as dbsession:
        for number in range(3):
            dbsession.add(
                LoginThrottle(
                    key=f"{number:064x}",
                    failures=1,
                    window_started_at=past,
                    blocked_until=None,
                    expires_at=past,
                )
            )

    log_in(client(throttled_app), "someone@example.com", "wrong")

    keys = {row.key for row in counters(throttled_app)}
    assert not {f"{number:064x}" for number in range(3)} & keys
    assert len(keys) == 2


def test_counters_store_no_user_name(throttled_app):
    log_in(client(throttled_app), "typed-secret@example.com", "wrong")

    rows = counters(throttled_app)

    assert len(rows) == 2
    for row in rows:
        assert "typed-secret" not in row.key
        assert len(row.key) == 64
