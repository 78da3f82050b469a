"""Configured request limits: body size, batch size, page sizes and SCIM filter length."""

from __future__ import annotations

import json
from typing import Any

import pytest
import webtest

from access_platform import main
from tests.functional.live_server import LiveServer
from tests.functional.scim_helpers import SCIM, USER_URN, assert_scim_error

MAX_BODY_BYTES = 2048
MAX_BATCH_REQUESTS = 2
MAX_LIMIT = 3
MAX_COUNT = 2
MAX_FILTER_LENGTH = 40
PROBLEM = "application/problem+json"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture(scope="module")
def limited_app(app_settings: dict[str, str]) -> Any:
    settings = dict(app_settings)
    settings["access_platform.max_body_bytes"] = str(MAX_BODY_BYTES)
    settings["access_platform.batch.max_requests"] = str(MAX_BATCH_REQUESTS)
    settings["access_platform.list.max_limit"] = str(MAX_LIMIT)
    settings["access_platform.scim.max_count"] = str(MAX_COUNT)
    settings["access_platform.scim.max_filter_length"] = str(MAX_FILTER_LENGTH)
    return main({}, **settings)


@pytest.fixture
def limited(limited_app: Any) -> webtest.TestApp:
    return webtest.TestApp(limited_app, extra_environ={"HTTP_HOST": "localhost"})


@pytest.fixture
def users(factory, admin) -> list[str]:
    """The admin and four more users, so that every list has more than one page."""
    return [admin.user_id] + [factory.user().user_id for _ in range(4)]


def scim_get(app: webtest.TestApp, headers: dict[str, str], path: str, **params: Any) -> Any:
    return app.get(f"/scim/v2{path}", params=params, headers=headers, expect_errors=True)


def scim_search(app: webtest.TestApp, headers: dict[str, str], **fields: Any) -> Any:
    body = json.dumps({"schemas": [SEARCH_URN], **fields}).encode()
    return app.post(
        "/scim/v2/Users/.search",
        body,
        headers={**headers, "Content-Type": SCIM},
        expect_errors=True,
    )


# --- Request body ---------------------------------------------------------------------


def test_body_over_limit_gets_413(limited, admin):
    body = json.dumps({"user_name": "x" * MAX_BODY_BYTES}).encode()

    response = limited.post(
        "/api/v1/users",
        body,
        headers={**admin.headers, "Content-Type": "application/json"},
        status=413,
    )

    assert response.content_type == PROBLEM
    assert response.json["status"] == 413
    assert str(MAX_BODY_BYTES) in response.json["detail"]


def test_scim_body_over_limit_gets_413(limited, scim_headers):
    body = json.dumps({"schemas": [USER_URN], "userName": "x" * MAX_BODY_BYTES}).encode()

    response = limited.post(
        "/scim/v2/Users",
        body,
        headers={**scim_headers, "Content-Type": SCIM},
        status=413,
    )

    assert_scim_error(response, 413)


def test_chunked_body_over_limit_gets_413(limited_app, admin):
    # Without a Content-Length the size is known only once the body is read.
    server = LiveServer(limited_app)
    try:
        reply = server.send_chunked(
            "POST",
            "/api/v1/users",
            [b'{"user_name": "', b"x" * MAX_BODY_BYTES, b'"}'],
            {**admin.headers, "Content-Type": "application/json"},
        )
    finally:
        server.stop()

    assert reply.status == 413
    assert reply.headers["Content-Type"] == PROBLEM
    assert reply.body["status"] == 413


# --- $batch ---------------------------------------------------------------------------


def test_batch_over_limit_gets_413(limited, admin):
    requests = [
        {"id": str(number), "method": "POST", "url": "/users", "body": {"user_name": f"b{number}"}}
        for number in range(MAX_BATCH_REQUESTS + 1)
    ]

    response = limited.post_json(
        "/api/v1/$batch", {"requests": requests}, headers=admin.headers, status=413
    )

    assert response.json["max_requests"] == MAX_BATCH_REQUESTS
    total = limited.get("/api/v1/users", {"count": "true"}, headers=admin.headers).json["total"]
    assert total == 1


def test_batch_at_limit_runs(limited, admin):
    requests = [
        {"id": str(number), "method": "POST", "url": "/users", "body": {"user_name": f"b{number}"}}
        for number in range(MAX_BATCH_REQUESTS)
    ]

    response = limited.post_json("/api/v1/$batch", {"requests": requests}, headers=admin.headers)

    assert [item["status"] for item in response.json["responses"]] == [201] * MAX_BATCH_REQUESTS


# --- /api/v1 limit --------------------------------------------------------------------


def test_limit_over_maximum_gets_400(limited, admin, users):
    response = limited.get(
        "/api/v1/users", {"limit": str(MAX_LIMIT + 1)}, headers=admin.headers, status=400
    )

    assert response.json["type"] == "urn:access-platform:problem:invalid-query-parameter"
    assert response.json["errors"][0]["parameter"] == "limit"
    assert f"1 to {MAX_LIMIT}" in response.json["detail"]


def test_limit_at_maximum_is_accepted(limited, admin, users):
    body = limited.get("/api/v1/users", {"limit": str(MAX_LIMIT)}, headers=admin.headers).json

    assert len(body["items"]) == MAX_LIMIT
    assert body["next_cursor"] is not None


def test_default_page_lowered_to_maximum(limited, admin, users):
    body = limited.get("/api/v1/users", headers=admin.headers).json

    assert len(body["items"]) == MAX_LIMIT


@pytest.mark.parametrize(
    "path", ["/api/v1/groups", "/api/v1/roles", "/api/v1/permissions", "/api/v1/workspaces"]
)
def test_every_list_applies_maximum(limited, admin, path):
    limited.get(path, {"limit": str(MAX_LIMIT + 1)}, headers=admin.headers, status=400)


def test_default_limits(testapp, admin):
    testapp.get("/api/v1/users", {"limit": "1000"}, headers=admin.headers, status=200)
    testapp.get("/api/v1/users", {"limit": "1001"}, headers=admin.headers, status=400)


# --- SCIM count -----------------------------------------------------------------------


def test_scim_count_over_maximum_is_lowered(limited, scim_headers, users):
    body = scim_get(limited, scim_headers, "/Users", count="500").json

    assert body["itemsPerPage"] == MAX_COUNT
    assert len(body["Resources"]) == MAX_COUNT
    assert body["totalResults"] == len(users)


def test_scim_default_count_lowered_to_maximum(limited, scim_headers, users):
    body = scim_get(limited, scim_headers, "/Users").json

    assert body["itemsPerPage"] == MAX_COUNT


def test_scim_search_count_over_maximum_is_lowered(limited, scim_headers, users):
    body = scim_search(limited, scim_headers, count=500).json

    assert body["itemsPerPage"] == MAX_COUNT


def test_scim_max_results_reports_maximum(limited, testapp, scim_headers):
    limited_config = scim_get(limited, scim_headers, "/ServiceProviderConfig").json
    default_config = scim_get(testapp, scim_headers, "/ServiceProviderConfig").json

    assert limited_config["filter"]["maxResults"] == MAX_COUNT
    assert default_config["filter"]["maxResults"] == 1000


# --- SCIM filter length ---------------------------------------------------------------


def long_filter(length: int) -> str:
    prefix = 'userName eq "'
    return prefix + "x" * (length - len(prefix) - 1) + '"'


def test_scim_filter_at_maximum_is_accepted(limited, scim_headers):
    response = scim_get(limited, scim_headers, "/Users", filter=long_filter(MAX_FILTER_LENGTH))

    assert response.status_int == 200


def test_scim_filter_over_maximum_gets_400(limited, scim_headers):
    response = scim_get(limited, scim_headers, "/Users", filter=long_filter(MAX_FILTER_LENGTH + 1))

    assert_scim_error(response, 400, "invalidFilter")
    assert str(MAX_FILTER_LENGTH) in response.json["detail"]


def test_scim_search_filter_over_maximum_gets_400(limited, scim_headers):
    response = scim_search(limited, scim_headers, filter=long_filter(MAX_FILTER_LENGTH + 1))

    assert_scim_error(response, 400, "invalidFilter")


def test_scim_groups_filter_over_maximum_gets_400(limited, scim_headers):
    filter_text = 'displayName eq "' + "x" * MAX_FILTER_LENGTH + '"'

    response = scim_get(limited, scim_headers, "/Groups", filter=filter_text)

    assert_scim_error(response, 400, "invalidFilter")
