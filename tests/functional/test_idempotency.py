"""Idempotency-Key on POST /api/v1/users and POST /api/v1/$batch."""

from __future__ import annotations

USERS = "/api/v1/users"
BATCH = "/api/v1/$batch"


def user_count(testapp, admin) -> int:
    return testapp.get(USERS, {"count": "true"}, headers=admin.headers).json["total"]


def test_retried_create_replays_first_result(testapp, admin):
    headers = {**admin.headers, "Idempotency-Key": "create-1"}

    first = testapp.post_json(USERS, {"user_name": "once@example.com"}, headers=headers, status=201)
    second = testapp.post_json(
        USERS, {"user_name": "once@example.com"}, headers=headers, status=201
    )

    assert second.json == first.json
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert user_count(testapp, admin) == 2


def test_same_key_with_other_body_gets_409(testapp, admin):
    headers = {**admin.headers, "Idempotency-Key": "create-2"}
    testapp.post_json(USERS, {"user_name": "first@example.com"}, headers=headers, status=201)

    response = testapp.post_json(
        USERS, {"user_name": "second@example.com"}, headers=headers, status=409
    )

    assert response.json["type"] == "urn:access-platform:problem:idempotency-key-reused"
    assert (
        testapp.get(USERS, {"user_name": "second@example.com"}, headers=admin.headers).json["items"]
        == []
    )


def test_failed_request_is_not_stored(testapp, admin):
    headers = {**admin.headers, "Idempotency-Key": "create-3"}
    testapp.post_json(USERS, {"user_name": ""}, headers=headers, status=422)

    testapp.post_json(USERS, {"user_name": "fixed@example.com"}, headers=headers, status=201)


def test_keys_are_scoped_to_the_principal(testapp, factory):
    first = factory.user(admin=True)
    second = factory.user(admin=True)

    testapp.post_json(
        USERS,
        {"user_name": "a@example.com"},
        headers={**first.headers, "Idempotency-Key": "shared"},
    )
    response = testapp.post_json(
        USERS,
        {"user_name": "b@example.com"},
        headers={**second.headers, "Idempotency-Key": "shared"},
    )

    assert response.status_int == 201
    assert "Idempotent-Replayed" not in response.headers


def test_invalid_key_gets_400(testapp, admin):
    response = testapp.post_json(
        USERS,
        {"user_name": "a@example.com"},
        headers={**admin.headers, "Idempotency-Key": "has space"},
        status=400,
    )
    assert response.json["type"] == "urn:access-platform:problem:invalid-idempotency-key"


def test_batch_replay_runs_nothing_twice(testapp, admin):
    envelope = {
        "requests": [
            {"id": "1", "method": "POST", "url": "/users", "body": {"user_name": "b1@example.com"}},
            {"id": "2", "method": "POST", "url": "/users", "body": {"user_name": "b2@example.com"}},
        ]
    }
    headers = {**admin.headers, "Idempotency-Key": "batch-1"}

    first = testapp.post_json(BATCH, envelope, headers=headers)
    count_after_first = user_count(testapp, admin)
    second = testapp.post_json(BATCH, envelope, headers=headers)

    assert second.json == first.json
    assert [item["status"] for item in second.json["responses"]] == [201, 201]
    assert user_count(testapp, admin) == count_after_first


def test_batch_key_with_other_body_gets_409(testapp, admin):
    headers = {**admin.headers, "Idempotency-Key": "batch-2"}
    item = {"id": "1", "method": "POST", "url": "/users", "body": {"user_name": "c1@example.com"}}
    testapp.post_json(BATCH, {"requests": [item]}, headers=headers)

    other = {**item, "body": {"user_name": "c2@example.com"}}
    response = testapp.post_json(BATCH, {"requests": [other]}, headers=headers, status=409)

    assert response.json["type"] == "urn:access-platform:problem:idempotency-key-reused"
