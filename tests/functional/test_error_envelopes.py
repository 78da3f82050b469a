"""Every error leaves in the envelope of its surface: Problem Details or SCIM error."""

from __future__ import annotations

import json

import pytest

PROBLEM = "application/problem+json"
SCIM = "application/scim+json"
SCIM_ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response, status: int, path: str) -> dict:
    assert response.status_int == status
    assert response.content_type == PROBLEM
    body = response.json
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["instance"] == path
    assert body["request_id"] == response.headers["X-Request-Id"]
    if body["type"] == "about:blank":
        assert body["title"] == response.status.split(" ", 1)[1]
    return body


def assert_scim_error(response, status: int) -> dict:
    assert response.status_int == status
    assert response.content_type == SCIM
    body = response.json
    assert body["schemas"] == [SCIM_ERROR_URN]
    assert body["status"] == str(status)
    assert body["detail"]
    return body


def test_401_problem(testapp):
    assert_problem(testapp.get("/api/v1/users/x", status=401), 401, "/api/v1/users/x")


def test_unknown_path_without_credentials_gets_401(testapp):
    # Unauthenticated clients cannot tell existing ids or paths from missing ones.
    assert_problem(testapp.get("/api/v1/nothing-here", status=401), 401, "/api/v1/nothing-here")


def test_403_problem(testapp, factory):
    principal = factory.user()
    response = testapp.get("/api/v1/users/x", headers=principal.headers, status=404)
    assert_problem(response, 404, "/api/v1/users/x")

    response = testapp.post_json(
        "/api/v1/users", {"user_name": "a"}, headers=principal.headers, status=403
    )
    assert_problem(response, 403, "/api/v1/users")


def test_404_problem(testapp, admin):
    assert_problem(
        testapp.get("/api/v1/nothing-here", headers=admin.headers, status=404),
        404,
        "/api/v1/nothing-here",
    )


def test_405_problem_lists_allowed_methods(testapp, admin):
    response = testapp.delete("/api/v1/users", headers=admin.headers, status=405)

    assert_problem(response, 405, "/api/v1/users")
    assert response.headers["Allow"] == "GET, HEAD, POST"


def test_409_problem(testapp, admin):
    testapp.post_json("/api/v1/users", {"user_name": "dup@example.com"}, headers=admin.headers)

    response = testapp.post_json(
        "/api/v1/users", {"user_name": "DUP@example.com"}, headers=admin.headers, status=409
    )

    body = assert_problem(response, 409, "/api/v1/users")
    assert body["type"] == "urn:access-platform:problem:user-name-taken"


def test_413_problem_for_oversized_body(testapp, admin, registry):
    limit = registry.settings["access_platform.max_body_bytes"]
    body = json.dumps({"user_name": "x" * limit}).encode()

    response = testapp.post(
        "/api/v1/users",
        body,
        headers={**admin.headers, "Content-Type": "application/json"},
        status=413,
    )

    assert_problem(response, 413, "/api/v1/users")


def test_415_problem_for_form_body(testapp, admin):
    response = testapp.post(
        "/api/v1/users", {"user_name": "form@example.com"}, headers=admin.headers, status=415
    )

    body = assert_problem(response, 415, "/api/v1/users")
    assert "application/x-www-form-urlencoded" in body["detail"]


def test_415_problem_for_non_utf8_charset(testapp, admin):
    response = testapp.post(
        "/api/v1/users",
        b'{"user_name": "x"}',
        headers={**admin.headers, "Content-Type": "application/json; charset=latin-1"},
        status=415,
    )
    assert_problem(response, 415, "/api/v1/users")


def test_json_media_type_ignores_case_and_parameters(testapp, admin):
    response = testapp.post(
        "/api/v1/users",
        b'{"user_name": "case@example.com"}',
        headers={**admin.headers, "Content-Type": "Application/JSON; Charset=UTF-8"},
        status=201,
    )
    assert response.json["user_name"] == "case@example.com"


def test_400_problem_names_parse_error(testapp, admin):
    response = testapp.post(
        "/api/v1/users",
        b'{"user_name": ',
        headers={**admin.headers, "Content-Type": "application/json"},
        status=400,
    )

    body = assert_problem(response, 400, "/api/v1/users")
    assert body["type"] == "urn:access-platform:problem:malformed-json"
    assert "line 1 column" in body["detail"]


def test_400_problem_for_empty_body(testapp, admin):
    response = testapp.post(
        "/api/v1/users",
        b"",
        headers={**admin.headers, "Content-Type": "application/json"},
        status=400,
    )
    assert_problem(response, 400, "/api/v1/users")


def test_422_problem_lists_each_field(testapp, admin):
    response = testapp.post_json(
        "/api/v1/users",
        {"user_name": "", "email": 7, "nickname": "x"},
        headers=admin.headers,
        status=422,
    )

    body = assert_problem(response, 422, "/api/v1/users")
    pointers = {error["pointer"] for error in body["errors"]}
    assert pointers == {"#/user_name", "#/email", "#/nickname"}


def test_422_problem_for_non_object_body(testapp, admin):
    response = testapp.post_json("/api/v1/users", ["user_name"], headers=admin.headers, status=422)
    assert_problem(response, 422, "/api/v1/users")


def test_rejected_create_changes_nothing(testapp, admin):
    testapp.post_json(
        "/api/v1/users",
        {"user_name": "kept@example.com", "bogus": 1},
        headers=admin.headers,
        status=422,
    )
    testapp.post_json(
        "/api/v1/users", {"user_name": "kept@example.com"}, headers=admin.headers, status=201
    )


def test_500_problem_hides_internals(plugin_testapp, admin, caplog):
    response = plugin_testapp.get("/api/v1/sample-failure", headers=admin.headers, status=500)

    body = assert_problem(response, 500, "/api/v1/sample-failure")
    request_id = response.headers["X-Request-Id"]
    assert request_id in body["detail"]
    assert "internal detail" not in response.text
    assert "Traceback" not in response.text
    logged = [record for record in caplog.records if request_id in record.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None


def test_client_request_id_is_echoed(testapp):
    response = testapp.get("/healthz", headers={"X-Request-Id": "trace-123"})
    assert response.headers["X-Request-Id"] == "trace-123"


def test_unsafe_client_request_id_is_replaced(testapp):
    response = testapp.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
    assert response.headers["X-Request-Id"] != "bad id\twith spaces"
    assert len(response.headers["X-Request-Id"]) == 32


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "*/*", "image/png"])
def test_error_ignores_accept_header(testapp, admin, accept):
    response = testapp.get(
        "/api/v1/nothing-here", headers={**admin.headers, "Accept": accept}, status=404
    )
    assert_problem(response, 404, "/api/v1/nothing-here")


# --- SCIM ---------------------------------------------------------------------


def test_scim_401(testapp):
    assert_scim_error(testapp.get("/scim/v2/Users/x", status=401), 401)


def test_scim_403_for_read_only_token(plugin_testapp, factory):
    token = factory.scim_token(scopes=("read",))

    response = plugin_testapp.post_json(
        "/scim/v2/sample-write", {}, headers={"Authorization": f"Bearer {token}"}, status=403
    )

    assert_scim_error(response, 403)


def test_scim_write_token_passes_scope_check(plugin_testapp, factory):
    token = factory.scim_token(scopes=("read", "write"))
    response = plugin_testapp.post_json(
        "/scim/v2/sample-write", {}, headers={"Authorization": f"Bearer {token}"}, status=200
    )
    assert response.content_type == SCIM


def test_scim_404(testapp, scim_headers):
    assert_scim_error(testapp.get("/scim/v2/NoSuchEndpoint", headers=scim_headers, status=404), 404)


def test_scim_405(testapp, scim_headers):
    response = testapp.put_json(
        "/scim/v2/ServiceProviderConfig", {}, headers=scim_headers, status=405
    )
    assert_scim_error(response, 405)
    assert response.headers["Allow"] == "GET, HEAD"


def test_scim_413(testapp, scim_headers, registry):
    limit = registry.settings["access_platform.max_body_bytes"]
    response = testapp.post(
        "/scim/v2/Users",
        b"x" * (limit + 1),
        headers={**scim_headers, "Content-Type": "application/scim+json"},
        status=413,
    )
    assert_scim_error(response, 413)


def test_scim_500_hides_internals(plugin_testapp, scim_headers):
    response = plugin_testapp.get("/scim/v2/sample-failure", headers=scim_headers, status=500)

    assert_scim_error(response, 500)
    assert "internal detail" not in response.text
