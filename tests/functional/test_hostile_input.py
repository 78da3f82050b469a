"""Hostile and malformed input: each gets a clear 4xx in its envelope, never a 500."""

from __future__ import annotations

import base64
import json
import threading

import pytest
import webtest

from access_platform.db import create_db_engine
from access_platform.settings import parse_settings

PROBLEM = "application/problem+json"


def cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "path",
    [
        "/healthz/../api/v1/users",
        "/api/v1/users/%2e%2e/groups",
        "/api/v1/users/./x",
        "/api/v1/users/%ff",
        "/%ff",
        "/api/v1/users/%00",
        "/scim/v2/%ff",
    ],
)
def test_bad_path_gets_400_without_credentials(testapp, path):
    response = testapp.get(path, status=400)
    assert response.content_type in (PROBLEM, "application/scim+json")


def test_dot_segments_cannot_switch_surface(testapp, scim_headers, admin):
    testapp.get("/scim/v2/../../api/v1/users", headers=scim_headers, status=400)
    testapp.get("/api/v1/../../scim/v2/ServiceProviderConfig", headers=admin.headers, status=400)


@pytest.mark.parametrize(
    "body",
    [
        b'{"user_name": "\\ud800"}',
        b'{"user_name": "nul\\u0000x"}',
        b'{"user_name": "x", "display_name": ' + b"[" * 40 + b"]" * 40 + b"}",
        b"[" * 100000 + b"]" * 100000,
        b'{"user_name": "x", "display_name": ' + b"9" * 5000 + b"}",
        b'{"user_name": "x", "display_name": NaN}',
        b'{"user_name": "x", "display_name": -Infinity}',
        b'{"user_name": "x", "display_name": 1e999}',
    ],
)
def test_unreadable_json_gets_400(testapp, admin, body):
    response = testapp.post(
        "/api/v1/users",
        body,
        headers={**admin.headers, "Content-Type": "application/json"},
        status=400,
    )
    assert response.json["type"] == "urn:access-platform:problem:malformed-json"


def test_login_with_surrogate_gets_400(testapp):
    testapp.post(
        "/api/v1/auth/login",
        b'{"user_name": "\\udfff", "password": "x"}',
        headers={"Content-Type": "application/json"},
        status=400,
    )


@pytest.mark.parametrize(
    "query",
    ["q=%ff", "q=%00", "limit=1&limit=2", "status=active&status=deactivated", "user_name=a%01b"],
)
def test_bad_query_gets_400(testapp, admin, query):
    response = testapp.get(f"/api/v1/users?{query}", headers=admin.headers, status=400)
    assert response.json["type"] == "urn:access-platform:problem:invalid-query-parameter"


@pytest.mark.parametrize(
    "payload",
    [
        ["user_name", None, "x"],
        ["user_name", {"a": 1}, "x"],
        ["user_name", ["a"], "x"],
        ["user_name", 123, "x"],
        ["user_name", "a", 5],
        ["user_name", "a\u0000", "x"],
        ["created_at", "2026-01-01T00:00:00", "x"],
        ["created_at", "yesterday", "x"],
        ["user_name", "a"],
    ],
)
def test_forged_cursor_gets_400(testapp, admin, payload):
    sort = payload[0]
    response = testapp.get(
        "/api/v1/users",
        {"sort": sort, "cursor": cursor(payload)},
        headers=admin.headers,
        status=400,
    )
    assert response.json["errors"][0]["parameter"] == "cursor"


@pytest.mark.parametrize(
    "url",
    [
        "/users/..%2Fgroups%2Fabc",
        "http://203.0.113.5:8080/api/v1/users",
        "https://elsewhere.invalid/users",
        "//elsewhere.invalid/users",
        "/users?limit=abc",
        "/users#top",
        "/users/%ff/deactivate",
    ],
)
def test_batch_rejects_unusual_item_urls(testapp, admin, url):
    item = {"id": "1", "method": "POST", "url": url, "body": {"user_name": "batch@example.com"}}
    if "deactivate" in url or "groups" in url:
        item = {"id": "1", "method": "PATCH" if "groups" in url else "POST", "url": url}

    response = testapp.post_json(
        "/api/v1/$batch", {"requests": [item]}, headers=admin.headers, status=200
    )

    assert response.json["responses"][0]["status"] == 400
    listed = testapp.get("/api/v1/users", {"user_name": "batch@example.com"}, headers=admin.headers)
    assert listed.json["items"] == []


def test_batch_item_host_header_is_ignored(testapp, admin):
    item = {
        "id": "1",
        "method": "POST",
        "url": "/users",
        "headers": {"Host": "elsewhere.invalid"},
        "body": {"user_name": "hosted@example.com"},
    }

    response = testapp.post_json("/api/v1/$batch", {"requests": [item]}, headers=admin.headers)

    location = response.json["responses"][0]["headers"]["Location"]
    assert location.startswith("http://localhost/api/v1/users/")


def test_engine_hides_statement_parameters(tmp_path):
    engine = create_db_engine(
        parse_settings({"sqlalchemy.url": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    )
    try:
        assert engine.hide_parameters is True
    finally:
        engine.dispose()


def test_concurrent_retries_with_one_key_create_once(wsgi_app, admin):
    statuses: list[int] = []
    replayed: list[bool] = []
    barrier = threading.Barrier(6)

    def attempt() -> None:
        app = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        barrier.wait()
        response = app.post_json(
            "/api/v1/users",
            {"user_name": "retried@example.com"},
            headers={**admin.headers, "Idempotency-Key": "same-key"},
            expect_errors=True,
        )
        statuses.append(response.status_int)
        replayed.append(response.headers.get("Idempotent-Replayed") == "true")

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * 6
    assert replayed.count(False) == 1
