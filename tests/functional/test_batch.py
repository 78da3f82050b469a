"""POST /api/v1/$batch over HTTP, including interoperability case C-12."""

from __future__ import annotations

import pytest

BATCH = "/api/v1/$batch"
USERS = "/api/v1/users"
JSON = {"Content-Type": "application/json"}


def by_id(response) -> dict[str, dict]:
    return {item["id"]: item for item in response.json["responses"]}


def create_item(item_id: str, user_name: str, **extra) -> dict:
    return {
        "id": item_id,
        "method": "POST",
        "url": "/users",
        "headers": JSON,
        "body": {"user_name": user_name, "display_name": user_name},
        **extra,
    }


def user_count(testapp, admin) -> int:
    return testapp.get(USERS, {"count": "true"}, headers=admin.headers).json["total"]


def make_user(testapp, admin, user_name="user1@example.com", **fields) -> dict:
    return testapp.post_json(USERS, {"user_name": user_name, **fields}, headers=admin.headers).json


def test_all_three_kinds_succeed(testapp, admin):
    existing = make_user(testapp, admin, "existing@example.com", display_name="Old")

    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                create_item("1", "new@example.com"),
                {
                    "id": "2",
                    "method": "PATCH",
                    "url": f"/users/{existing['id']}",
                    "headers": JSON,
                    "body": {"display_name": "Renamed"},
                },
                {
                    "id": "3",
                    "method": "POST",
                    "url": f"/api/v1/users/{existing['id']}/deactivate",
                    "dependsOn": ["2"],
                },
            ]
        },
        headers=admin.headers,
        status=200,
    )

    results = by_id(response)
    assert [item["id"] for item in response.json["responses"]] == ["1", "2", "3"]
    assert results["1"]["status"] == 201
    assert results["1"]["headers"]["Location"].endswith(
        f"/api/v1/users/{results['1']['body']['id']}"
    )
    assert results["1"]["headers"]["ETag"] == '"1"'
    assert results["2"]["status"] == 200
    assert results["2"]["body"]["display_name"] == "Renamed"
    assert results["3"]["status"] == 200
    assert results["3"]["body"]["status"] == "deactivated"
    stored = testapp.get(f"{USERS}/{existing['id']}", headers=admin.headers).json
    assert stored["display_name"] == "Renamed"
    assert stored["status"] == "deactivated"


def test_item_result_matches_standalone_request(testapp, admin):
    batch = testapp.post_json(
        BATCH, {"requests": [create_item("1", "twin@example.com")]}, headers=admin.headers
    ).json["responses"][0]
    standalone = testapp.post_json(
        USERS, {"user_name": "TWIN@example.com"}, headers=admin.headers, status=409
    )

    assert batch["status"] == 201
    duplicate = testapp.post_json(
        BATCH, {"requests": [create_item("1", "TWIN@example.com")]}, headers=admin.headers
    ).json["responses"][0]
    assert duplicate["status"] == standalone.status_int
    assert duplicate["body"]["type"] == standalone.json["type"]
    assert duplicate["headers"]["Content-Type"] == "application/problem+json"


def test_failed_item_does_not_undo_others(testapp, admin):
    make_user(testapp, admin, "taken@example.com")

    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                create_item("a", "first@example.com"),
                create_item("b", "taken@example.com"),
                create_item("c", "third@example.com"),
            ]
        },
        headers=admin.headers,
    )

    results = by_id(response)
    assert [results[key]["status"] for key in "abc"] == [201, 409, 201]
    names = {user["user_name"] for user in testapp.get(USERS, headers=admin.headers).json["items"]}
    assert {"first@example.com", "third@example.com"} <= names


def test_failed_update_among_updates_keeps_the_others(testapp, admin):
    make_user(testapp, admin, "taken@example.com")
    user = make_user(testapp, admin, "moving@example.com", display_name="Before")

    def patch(item_id: str, body: dict) -> dict:
        return {"id": item_id, "method": "PATCH", "url": f"/users/{user['id']}", "body": body}

    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                patch("a", {"display_name": "First"}),
                # Fails when the ORM writes the change: user names are unique.
                patch("b", {"user_name": "TAKEN@example.com", "display_name": "Lost"}),
                patch("c", {"given_name": "Third"}),
                create_item("d", "created@example.com"),
            ]
        },
        headers=admin.headers,
    )

    results = by_id(response)
    assert [results[key]["status"] for key in "abcd"] == [200, 409, 200, 201]
    assert results["c"]["body"]["display_name"] == "First"
    assert results["c"]["body"]["user_name"] == "moving@example.com"
    stored = testapp.get(f"{USERS}/{user['id']}", headers=admin.headers)
    assert stored.json["display_name"] == "First"
    assert stored.json["given_name"] == "Third"
    assert stored.headers["ETag"] == results["c"]["headers"]["ETag"]
    actions = [
        event["action"]
        for event in testapp.get(
            "/api/v1/auditEvents", {"target_id": user["id"]}, headers=admin.headers
        ).json["items"]
    ]
    assert actions.count("user.update") == 2


def test_invalid_item_body_gets_422_item(testapp, admin):
    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                {
                    "id": "1",
                    "method": "POST",
                    "url": "/users",
                    "headers": JSON,
                    "body": {"user_name": 42},
                }
            ]
        },
        headers=admin.headers,
    )

    result = response.json["responses"][0]
    assert result["status"] == 422
    assert result["body"]["errors"][0]["pointer"] == "#/user_name"


def test_unsupported_url_gets_400_item(testapp, admin):
    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/groups"},
                create_item("2", "ok@example.com"),
            ]
        },
        headers=admin.headers,
    )

    results = by_id(response)
    assert results["1"]["status"] == 400
    assert results["1"]["headers"]["Content-Type"] == "application/problem+json"
    assert results["2"]["status"] == 201


def test_unsupported_method_on_known_url_gets_405_item(testapp, admin):
    response = testapp.post_json(
        BATCH,
        {"requests": [{"id": "1", "method": "DELETE", "url": "/users"}]},
        headers=admin.headers,
    )

    result = response.json["responses"][0]
    assert result["status"] == 405
    assert result["headers"]["Allow"] == "POST"


def test_item_without_permission_gets_403(testapp, factory, admin):
    reader = factory.user()
    target = make_user(testapp, admin, "target@example.com")

    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                create_item("1", "new@example.com"),
                {"id": "2", "method": "POST", "url": f"/users/{target['id']}/deactivate"},
            ]
        },
        headers=reader.headers,
        status=200,
    )

    results = by_id(response)
    assert results["1"]["status"] == 403
    assert results["2"]["status"] == 403
    assert results["1"]["body"]["status"] == 403


def test_unknown_user_in_item_gets_404(testapp, admin):
    response = testapp.post_json(
        BATCH,
        {"requests": [{"id": "1", "method": "POST", "url": "/users/missing/deactivate"}]},
        headers=admin.headers,
    )
    assert response.json["responses"][0]["status"] == 404


@pytest.mark.parametrize(
    ("requests", "named"),
    [
        ([create_item("1", "a@example.com"), create_item("1", "b@example.com")], ["1"]),
        ([create_item("1", "a@example.com", dependsOn=["9"])], ["9"]),
        (
            [
                create_item("1", "a@example.com", dependsOn=["2"]),
                create_item("2", "b@example.com", dependsOn=["1"]),
                create_item("3", "c@example.com"),
            ],
            ["1", "2"],
        ),
    ],
)
def test_whole_batch_errors_run_nothing(testapp, admin, requests, named):
    before = user_count(testapp, admin)

    response = testapp.post_json(BATCH, {"requests": requests}, headers=admin.headers, status=422)

    assert response.content_type == "application/problem+json"
    assert response.json["request_ids"] == named
    assert user_count(testapp, admin) == before


@pytest.mark.parametrize(
    "envelope",
    [
        [],
        {"requests": []},
        {"requests": "x"},
        {"requests": [{"id": "1"}]},
        {"requests": [{"id": "", "method": "POST", "url": "/users"}]},
        {"requests": [{"id": "1", "method": "POST", "url": "/users", "extra": True}]},
        {"requests": [{"id": "1", "method": "POST", "url": "/users", "headers": {"A": 1}}]},
        {"requests": [], "more": 1},
    ],
)
def test_malformed_envelope_gets_422(testapp, admin, envelope):
    response = testapp.post_json(BATCH, envelope, headers=admin.headers, status=422)
    assert response.json["errors"]


def test_too_many_requests_gets_413(testapp, admin):
    before = user_count(testapp, admin)
    requests = [create_item(str(index), f"u{index}@example.com") for index in range(21)]

    response = testapp.post_json(BATCH, {"requests": requests}, headers=admin.headers, status=413)

    assert response.content_type == "application/problem+json"
    assert user_count(testapp, admin) == before


def test_twenty_requests_are_allowed(testapp, admin):
    requests = [create_item(str(index), f"u{index}@example.com") for index in range(20)]

    response = testapp.post_json(BATCH, {"requests": requests}, headers=admin.headers)

    assert {item["status"] for item in response.json["responses"]} == {201}


def test_batch_needs_credentials(testapp):
    testapp.post_json(BATCH, {"requests": [create_item("1", "a@example.com")]}, status=401)


def test_cookie_batch_needs_csrf_token_once(testapp, factory):
    principal = factory.user(password="batch password", admin=True)
    login = testapp.post_json(
        "/api/v1/auth/login", {"user_name": principal.user_name, "password": "batch password"}
    )
    envelope = {"requests": [create_item("1", "cookie@example.com")]}

    testapp.post_json(BATCH, envelope, status=403)
    response = testapp.post_json(
        BATCH, envelope, headers={"X-CSRF-Token": login.json["csrf_token"]}
    )

    assert response.json["responses"][0]["status"] == 201


def test_item_credentials_are_ignored(testapp, admin, factory):
    reader = factory.user()
    item = create_item("1", "sneaky@example.com")
    item["headers"] = {**JSON, "X-API-Key": admin.api_key}

    response = testapp.post_json(BATCH, {"requests": [item]}, headers=reader.headers)

    assert response.json["responses"][0]["status"] == 403


def test_items_after_the_caller_deactivates_itself_get_401(testapp, factory):
    caller = factory.user(admin=True)
    other = factory.user()

    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                {"id": "a", "method": "POST", "url": f"/users/{caller.user_id}/deactivate"},
                {
                    "id": "b",
                    "method": "PATCH",
                    "url": f"/users/{other.user_id}",
                    "body": {"given_name": "B"},
                },
                create_item("c", "late@example.com"),
            ]
        },
        headers=caller.headers,
    )

    results = by_id(response)
    assert [results[key]["status"] for key in "abc"] == [200, 401, 401]
    assert "deactivated the user who sent it" in results["b"]["body"]["detail"]
    assert results["b"]["headers"]["Content-Type"] == "application/problem+json"
    standalone = testapp.get(USERS, headers=caller.headers, status=401)
    assert standalone.json["status"] == 401


def test_item_sharing_the_batch_idempotency_key_gets_422(testapp, admin):
    item = create_item("2", "keyed@example.com")
    item["headers"] = {**JSON, "idempotency-key": "shared-key"}

    response = testapp.post_json(
        BATCH,
        {"requests": [create_item("1", "plain@example.com"), item]},
        headers={**admin.headers, "Idempotency-Key": "shared-key"},
        status=422,
    )

    assert response.json["request_ids"] == ["2"]
    assert user_count(testapp, admin) == 1


# --- Case C-12 ---------------------------------------------------------------------


def test_c12_a_failed_chain_propagates_424(testapp, admin):
    user = make_user(testapp, admin, "user1@example.com", display_name="Old name")

    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                create_item("1", "user1@example.com"),
                {
                    "id": "2",
                    "method": "PATCH",
                    "url": f"/users/{user['id']}",
                    "dependsOn": ["1"],
                    "headers": JSON,
                    "body": {"display_name": "New name"},
                },
                {
                    "id": "3",
                    "method": "POST",
                    "url": f"/users/{user['id']}/deactivate",
                    "dependsOn": ["2"],
                },
            ]
        },
        headers=admin.headers,
        status=200,
    )

    results = by_id(response)
    assert results["1"]["status"] == 409
    assert results["1"]["headers"]["Content-Type"] == "application/problem+json"
    assert results["1"]["body"]["status"] == 409
    assert results["2"]["status"] == 424
    assert results["2"]["body"]["status"] == 424
    assert "1" in results["2"]["body"]["detail"]
    assert results["3"]["status"] == 424
    assert "2" in results["3"]["body"]["detail"]
    stored = testapp.get(f"{USERS}/{user['id']}", headers=admin.headers).json
    assert stored["display_name"] == "Old name"
    assert stored["status"] == "active"


def test_c12_b_independent_item_still_runs(testapp, admin):
    make_user(testapp, admin, "user1@example.com")

    response = testapp.post_json(
        BATCH,
        {
            "requests": [
                create_item("1", "user1@example.com"),
                create_item("2", "user2@example.com"),
            ]
        },
        headers=admin.headers,
        status=200,
    )

    results = by_id(response)
    assert results["1"]["status"] == 409
    assert results["2"]["status"] == 201
    assert results["2"]["body"]["user_name"] == "user2@example.com"
    listed = testapp.get(USERS, {"user_name": "user2@example.com"}, headers=admin.headers).json
    assert len(listed["items"]) == 1
