"""Interoperability case C-13: Problem Details under any Accept header.

Generated OpenAPI clients, Graph-style SDKs, browsers and curl send all
kinds of Accept values; none of them may turn an error into HTML, an empty
body or a 406, and neither surface answers in the other's error format.
"""

from __future__ import annotations

import uuid

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, instance: str) -> None:
    assert response.status_int == status
    assert response.content_type == PROBLEM
    body = response.json
    assert body["status"] == status
    assert isinstance(body["status"], int)
    assert body["instance"] == instance
    assert body["type"]
    assert body["detail"]
    if body["type"] == "about:blank":
        assert body["title"] == response.status.split(" ", 1)[1]


def test_a_unknown_user_with_json_accept(testapp, admin):
    unknown = str(uuid.uuid4())
    path = f"/api/v1/users/{unknown}"

    response = testapp.get(
        path, headers={**admin.headers, "Accept": "application/json"}, status=404
    )

    assert_problem(response, 404, path)


def test_b_wrong_type_lists_invalid_field(testapp, admin):
    response = testapp.post_json(
        "/api/v1/users", {"user_name": 42}, headers=admin.headers, status=422
    )

    assert_problem(response, 422, "/api/v1/users")
    assert response.json["errors"][0]["pointer"] == "#/user_name"
    assert response.json["errors"][0]["detail"]


def test_c_put_on_batch_is_405_with_allow(testapp, admin):
    response = testapp.put(
        "/api/v1/$batch",
        headers={**admin.headers, "Accept": "application/vnd.example+json"},
        status=405,
    )

    assert_problem(response, 405, "/api/v1/$batch")
    assert response.headers["Allow"] == "POST"


def test_d_unknown_route_with_any_accept(testapp, admin):
    response = testapp.get(
        "/api/v1/no-such-route", headers={**admin.headers, "Accept": "*/*"}, status=404
    )
    assert_problem(response, 404, "/api/v1/no-such-route")


def test_e_unknown_user_with_html_accept(testapp, admin):
    path = f"/api/v1/users/{uuid.uuid4()}"

    response = testapp.get(path, headers={**admin.headers, "Accept": "text/html"}, status=404)

    assert_problem(response, 404, path)
    assert "<html" not in response.text.lower()


def test_f_scim_keeps_scim_error_envelope(testapp, scim_headers):
    response = testapp.get(f"/scim/v2/Users/{uuid.uuid4()}", headers=scim_headers, status=404)

    assert response.content_type == "application/scim+json"
    assert response.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.json["status"] == "404"
    assert "type" not in response.json
