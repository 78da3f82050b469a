"""The users API over HTTP: create, read, list, patch, deactivate, memberships."""

from __future__ import annotations

import threading

import pytest
import webtest

USERS = "/api/v1/users"
PROBLEM = "application/problem+json"


def create(testapp, headers, status=201, **fields):
    fields.setdefault("user_name", "someone@example.com")
    return testapp.post_json(USERS, fields, headers=headers, status=status)


def pointers(response) -> set[str]:
    return {error["pointer"] for error in response.json["errors"]}


# --- Create ----------------------------------------------------------------------


def test_create_returns_201_with_location_and_etag(testapp, admin):
    response = create(
        testapp,
        admin.headers,
        user_name="Ada@Example.com",
        display_name="Ada Lovelace",
        given_name="Ada",
        family_name="Lovelace",
        email="ada@example.com",
        external_id="ext-1",
        password="long enough secret",
    )

    body = response.json
    assert response.headers["Location"] == f"http://localhost{USERS}/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["user_name"] == "Ada@Example.com"
    assert body["status"] == "active"
    assert body["source"] == "local"
    assert body["created_at"].endswith("Z")
    assert "password" not in body
    assert "password_hash" not in body


def test_created_user_is_readable(testapp, admin):
    created = create(testapp, admin.headers, display_name="Reader").json

    fetched = testapp.get(f"{USERS}/{created['id']}", headers=admin.headers).json

    assert fetched == created


def test_create_duplicate_in_other_case_gets_409(testapp, admin):
    create(testapp, admin.headers, user_name="dup@example.com")

    response = create(testapp, admin.headers, user_name="DUP@Example.COM", status=409)

    assert response.content_type == PROBLEM
    assert response.json["type"] == "urn:access-platform:problem:user-name-taken"
    listed = testapp.get(USERS, {"user_name": "dup@example.com"}, headers=admin.headers).json
    assert len(listed["items"]) == 1


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"user_name": ""}, "#/user_name"),
        ({"user_name": "   "}, "#/user_name"),
        ({"user_name": None}, "#/user_name"),
        ({"user_name": "x" * 256}, "#/user_name"),
        ({"email": "not-an-email"}, "#/email"),
        ({"display_name": 5}, "#/display_name"),
        ({"display_name": "x" * 256}, "#/display_name"),
        ({"password": "short"}, "#/password"),
        ({"status": "active"}, "#/status"),
        ({"id": "chosen-id"}, "#/id"),
        ({"source": "scim"}, "#/source"),
        ({"nickname": "x"}, "#/nickname"),
    ],
)
def test_create_rejects_invalid_field(testapp, admin, fields, pointer):
    body = {"user_name": "valid@example.com", **fields}

    response = testapp.post_json(USERS, body, headers=admin.headers, status=422)

    assert response.content_type == PROBLEM
    assert pointer in pointers(response)
    assert (
        testapp.get(USERS, headers=admin.headers).json["items"][0]["user_name"]
        == "admin@example.com"
    )


def test_create_without_user_name_gets_422(testapp, admin):
    response = testapp.post_json(USERS, {"display_name": "x"}, headers=admin.headers, status=422)
    assert pointers(response) == {"#/user_name"}


def test_create_reports_every_invalid_field(testapp, admin):
    response = testapp.post_json(
        USERS, {"user_name": "", "email": "bad", "extra": 1}, headers=admin.headers, status=422
    )
    assert pointers(response) == {"#/user_name", "#/email", "#/extra"}


def test_read_only_field_is_named_as_such(testapp, admin):
    response = testapp.post_json(
        USERS, {"user_name": "a@example.com", "id": "x"}, headers=admin.headers, status=422
    )
    assert response.json["errors"] == [
        {"pointer": "#/id", "detail": "Read-only field; it cannot be set or changed."}
    ]


def test_create_needs_credentials(testapp):
    response = testapp.post_json(USERS, {"user_name": "a@example.com"}, status=401)
    assert response.content_type == PROBLEM


def test_create_needs_users_write(testapp, factory):
    reader = factory.user()
    create(testapp, reader.headers, status=403)


def test_concurrent_duplicate_creates_give_one_201(wsgi_app, admin):
    # The same user name in four letter cases, sent at once.
    spellings = ["race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM"]
    statuses: list[int] = []
    barrier = threading.Barrier(len(spellings))

    def attempt(user_name: str) -> None:
        app = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        barrier.wait()
        response = app.post_json(
            USERS, {"user_name": user_name}, headers=admin.headers, expect_errors=True
        )
        statuses.append(response.status_int)

    threads = [threading.Thread(target=attempt, args=(name,)) for name in spellings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409, 409, 409]


# --- Read and list ------------------------------------------------------------------


def test_get_unknown_user_gets_404(testapp, admin):
    response = testapp.get(
        f"{USERS}/00000000-0000-4000-8000-00000000abcd", headers=admin.headers, status=404
    )
    assert response.content_type == PROBLEM


def test_get_needs_users_read(testapp, factory, admin):
    reader = factory.user()
    testapp.get(f"{USERS}/{admin.user_id}", headers=reader.headers, status=403)


def test_get_without_credentials_gets_401(testapp, admin):
    testapp.get(f"{USERS}/{admin.user_id}", status=401)


def test_list_envelope(testapp, admin):
    body = testapp.get(USERS, headers=admin.headers).json

    assert set(body) == {"items", "next_cursor"}
    assert body["next_cursor"] is None
    assert [user["user_name"] for user in body["items"]] == ["admin@example.com"]


def test_list_needs_credentials_and_permission(testapp, factory):
    testapp.get(USERS, status=401)
    testapp.get(USERS, headers=factory.user().headers, status=403)


def test_list_count_adds_total(testapp, admin):
    for index in range(3):
        create(testapp, admin.headers, user_name=f"u{index}@example.com")

    body = testapp.get(USERS, {"count": "true", "limit": "2"}, headers=admin.headers).json

    assert body["total"] == 4
    assert len(body["items"]) == 2


def test_list_pages_are_stable_across_inserts(testapp, admin):
    for name in ("b", "d", "f", "h"):
        create(testapp, admin.headers, user_name=f"{name}@example.com")

    first = testapp.get(USERS, {"limit": "2", "sort": "user_name"}, headers=admin.headers).json
    # Inserted before and after the cursor position while the client pages.
    create(testapp, admin.headers, user_name="a@example.com")
    create(testapp, admin.headers, user_name="z@example.com")
    seen = [user["user_name"] for user in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = testapp.get(
            USERS, {"limit": "2", "sort": "user_name", "cursor": cursor}, headers=admin.headers
        ).json
        seen.extend(user["user_name"] for user in page["items"])
        cursor = page["next_cursor"]

    assert len(seen) == len(set(seen))
    for name in ("admin", "b", "d", "f", "h"):
        assert f"{name}@example.com" in seen
    assert "a@example.com" not in seen


def test_list_sorts_descending(testapp, admin):
    for name in ("carol", "alice", "bob"):
        create(testapp, admin.headers, user_name=f"{name}@example.com", display_name=name.title())

    body = testapp.get(USERS, {"sort": "-display_name", "q": "a"}, headers=admin.headers).json

    assert [user["display_name"] for user in body["items"]] == ["Alice", "admin@example.com"]

    body = testapp.get(USERS, {"sort": "-user_name"}, headers=admin.headers).json
    names = [user["user_name"] for user in body["items"]]
    assert names == sorted(names, reverse=True)


def test_list_pages_descending_by_created_at(testapp, admin):
    for index in range(5):
        create(testapp, admin.headers, user_name=f"t{index}@example.com")

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", "sort": "-created_at"}
        if cursor:
            params["cursor"] = cursor
        page = testapp.get(USERS, params, headers=admin.headers).json
        seen.extend(user["id"] for user in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 6
    assert len(set(seen)) == 6


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "deactivated"}, ["gone@example.com"]),
        ({"source": "local", "q": "gone"}, ["gone@example.com"]),
        ({"user_name": "GONE@example.com"}, ["gone@example.com"]),
        ({"email": "Kept@Mail.example"}, ["kept@example.com"]),
        ({"external_id": "ext-kept"}, ["kept@example.com"]),
        ({"q": "KEP"}, ["kept@example.com"]),
        ({"q": "mail"}, []),
        ({"q": "%"}, []),
    ],
)
def test_list_filters(testapp, admin, params, expected):
    kept = create(
        testapp,
        admin.headers,
        user_name="kept@example.com",
        email="kept@mail.example",
        external_id="ext-kept",
    ).json
    gone = create(testapp, admin.headers, user_name="gone@example.com").json
    testapp.post(f"{USERS}/{gone['id']}/deactivate", headers=admin.headers)
    assert kept["id"]

    body = testapp.get(USERS, params, headers=admin.headers).json

    assert [user["user_name"] for user in body["items"]] == expected


def test_q_search_matches_display_name_prefix(testapp, admin):
    create(testapp, admin.headers, user_name="x1@example.com", display_name="Grace Hopper")

    body = testapp.get(USERS, {"q": "grace"}, headers=admin.headers).json

    assert [user["display_name"] for user in body["items"]] == ["Grace Hopper"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"sort": "password"}, "sort"),
        ({"count": "yes"}, "count"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"status": "asleep"}, "status"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_list_rejects_bad_parameter(testapp, admin, params, parameter):
    response = testapp.get(USERS, params, headers=admin.headers, status=400)

    assert response.content_type == PROBLEM
    assert response.json["errors"][0]["parameter"] == parameter


def test_cursor_from_other_sort_is_rejected(testapp, admin):
    create(testapp, admin.headers, user_name="one@example.com")
    cursor = testapp.get(USERS, {"limit": "1"}, headers=admin.headers).json["next_cursor"]

    response = testapp.get(
        USERS,
        {"limit": "1", "sort": "-user_name", "cursor": cursor},
        headers=admin.headers,
        status=400,
    )

    assert response.json["errors"][0]["parameter"] == "cursor"


# --- Patch ------------------------------------------------------------------------


def test_patch_changes_only_sent_fields(testapp, admin):
    user = create(testapp, admin.headers, display_name="Old", email="old@example.com").json

    response = testapp.patch_json(
        f"{USERS}/{user['id']}", {"display_name": "New", "email": None}, headers=admin.headers
    )

    assert response.json["display_name"] == "New"
    assert response.json["email"] is None
    assert response.json["user_name"] == user["user_name"]
    assert response.headers["ETag"] == '"2"'
    assert response.json["updated_at"] >= user["updated_at"]


def test_patch_accepts_merge_patch_media_type(testapp, admin):
    user = create(testapp, admin.headers).json

    response = testapp.patch(
        f"{USERS}/{user['id']}",
        b'{"given_name": "Grace"}',
        headers={**admin.headers, "Content-Type": "application/merge-patch+json"},
    )

    assert response.json["given_name"] == "Grace"


def test_patch_with_current_etag_succeeds(testapp, admin):
    user = create(testapp, admin.headers)
    etag = user.headers["ETag"]

    testapp.patch_json(
        f"{USERS}/{user.json['id']}",
        {"display_name": "A"},
        headers={**admin.headers, "If-Match": etag},
    )


def test_patch_with_stale_etag_gets_412(testapp, admin):
    user = create(testapp, admin.headers, display_name="Before")
    stale = user.headers["ETag"]
    path = f"{USERS}/{user.json['id']}"
    testapp.patch_json(path, {"display_name": "Other writer"}, headers=admin.headers)

    response = testapp.patch_json(
        path,
        {"display_name": "Lost update"},
        headers={**admin.headers, "If-Match": stale},
        status=412,
    )

    assert response.content_type == PROBLEM
    assert testapp.get(path, headers=admin.headers).json["display_name"] == "Other writer"


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"id": "other"}, "#/id"),
        ({"source": "scim"}, "#/source"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "#/created_at"),
        ({"user_name": None}, "#/user_name"),
        ({"user_name": ""}, "#/user_name"),
        ({"status": "invited"}, "#/status"),
        ({"email": "nope"}, "#/email"),
        ({"favourite_colour": "blue"}, "#/favourite_colour"),
    ],
)
def test_patch_rejects_invalid_change(testapp, admin, changes, pointer):
    user = create(testapp, admin.headers, display_name="Unchanged").json
    path = f"{USERS}/{user['id']}"

    response = testapp.patch_json(
        path, {"display_name": "Changed", **changes}, headers=admin.headers, status=422
    )

    assert pointer in pointers(response)
    assert testapp.get(path, headers=admin.headers).json["display_name"] == "Unchanged"


def test_patch_to_taken_user_name_gets_409(testapp, admin):
    create(testapp, admin.headers, user_name="taken@example.com")
    user = create(testapp, admin.headers, user_name="free@example.com").json
    path = f"{USERS}/{user['id']}"

    response = testapp.patch_json(
        path, {"user_name": "TAKEN@example.com"}, headers=admin.headers, status=409
    )

    assert response.json["type"] == "urn:access-platform:problem:user-name-taken"
    assert testapp.get(path, headers=admin.headers).json["user_name"] == "free@example.com"


def test_patch_unknown_user_gets_404(testapp, admin):
    testapp.patch_json(f"{USERS}/missing", {"display_name": "x"}, headers=admin.headers, status=404)


def test_patch_needs_permission(testapp, factory, admin):
    testapp.patch_json(
        f"{USERS}/{admin.user_id}",
        {"display_name": "x"},
        headers=factory.user().headers,
        status=403,
    )
    testapp.patch_json(f"{USERS}/{admin.user_id}", {"display_name": "x"}, status=401)


def test_patch_password_lets_user_log_in(testapp, admin):
    user = create(testapp, admin.headers, user_name="pw@example.com").json
    testapp.patch_json(
        f"{USERS}/{user['id']}", {"password": "a new password"}, headers=admin.headers
    )

    testapp.post_json(
        "/api/v1/auth/login",
        {"user_name": "pw@example.com", "password": "a new password"},
        status=200,
    )


# --- Deactivate ---------------------------------------------------------------------


def test_deactivate_ends_sessions_and_keys(testapp, factory, admin):
    target = factory.user(password="target password")
    testapp.post_json(
        "/api/v1/auth/login", {"user_name": target.user_name, "password": "target password"}
    )
    testapp.get("/api/v1/auth/session", status=200)
    testapp.get("/api/v1/auth/session", headers=target.headers, status=200)

    response = testapp.post(
        f"{USERS}/{target.user_id}/deactivate", headers=admin.headers, status=200
    )

    assert response.json["status"] == "deactivated"
    testapp.get("/api/v1/auth/session", status=401)
    testapp.get("/api/v1/auth/session", headers=target.headers, status=401)


def test_deactivate_is_idempotent(testapp, admin, factory):
    target = factory.user()
    path = f"{USERS}/{target.user_id}/deactivate"

    first = testapp.post(path, headers=admin.headers, status=200)
    second = testapp.post(path, headers=admin.headers, status=200)

    assert second.json == first.json
    assert second.headers["ETag"] == first.headers["ETag"]


def test_reactivated_user_keeps_revoked_keys(testapp, admin, factory):
    target = factory.user()
    testapp.post(f"{USERS}/{target.user_id}/deactivate", headers=admin.headers)

    response = testapp.patch_json(
        f"{USERS}/{target.user_id}", {"status": "active"}, headers=admin.headers
    )

    assert response.json["status"] == "active"
    testapp.get("/api/v1/auth/session", headers=target.headers, status=401)


def test_deactivate_errors(testapp, factory, admin):
    testapp.post(f"{USERS}/missing/deactivate", headers=admin.headers, status=404)
    testapp.post(f"{USERS}/{admin.user_id}/deactivate", status=401)
    testapp.post(f"{USERS}/{admin.user_id}/deactivate", headers=factory.user().headers, status=403)


def test_deactivate_with_get_gets_405(testapp, admin):
    response = testapp.get(f"{USERS}/{admin.user_id}/deactivate", headers=admin.headers, status=405)
    assert response.headers["Allow"] == "POST"


# --- memberOf ---------------------------------------------------------------------


def make_group(testapp, headers, name, **fields):
    return testapp.post_json(
        "/api/v1/groups", {"display_name": name, **fields}, headers=headers
    ).json


def test_member_of_lists_direct_and_transitive_groups(testapp, admin):
    user = create(testapp, admin.headers).json
    inner = make_group(testapp, admin.headers, "inner")
    outer = make_group(testapp, admin.headers, "outer")
    testapp.post_json(
        f"/api/v1/groups/{outer['id']}/members/$ref",
        {"@odata.id": f"/api/v1/groups/{inner['id']}"},
        headers=admin.headers,
    )

    added = testapp.post_json(
        f"{USERS}/{user['id']}/memberOf/$ref",
        {"@odata.id": f"http://localhost/api/v1/groups/{inner['id']}"},
        headers=admin.headers,
        status=200,
    ).json

    assert [group["display_name"] for group in added["items"]] == ["inner"]
    direct = testapp.get(f"{USERS}/{user['id']}/memberOf", headers=admin.headers).json
    assert [group["display_name"] for group in direct["items"]] == ["inner"]
    transitive = testapp.get(
        f"{USERS}/{user['id']}/memberOf", {"transitive": "true"}, headers=admin.headers
    ).json
    assert [group["display_name"] for group in transitive["items"]] == ["inner", "outer"]


def test_member_of_ref_errors(testapp, admin, factory):
    user = create(testapp, admin.headers).json
    group = make_group(testapp, admin.headers, "team")
    path = f"{USERS}/{user['id']}/memberOf/$ref"
    body = {"@odata.id": f"/api/v1/groups/{group['id']}"}

    testapp.post_json(path, body, status=401)
    testapp.post_json(path, body, headers=factory.user().headers, status=403)
    testapp.post_json(
        path, {"@odata.id": "/api/v1/groups/missing"}, headers=admin.headers, status=404
    )
    testapp.post_json(path, {"@odata.id": "not a url"}, headers=admin.headers, status=422)
    testapp.post_json(
        path, {"@odata.id": f"/api/v1/users/{admin.user_id}"}, headers=admin.headers, status=422
    )
    testapp.post_json(f"{USERS}/missing/memberOf/$ref", body, headers=admin.headers, status=404)
    testapp.post_json(path, body, headers=admin.headers, status=200)

    again = testapp.post_json(path, body, headers=admin.headers, status=409)

    assert again.json["type"] == "urn:access-platform:problem:already-member"


def test_member_of_remove(testapp, admin):
    user = create(testapp, admin.headers).json
    group = make_group(testapp, admin.headers, "team")
    testapp.post_json(
        f"{USERS}/{user['id']}/memberOf/$ref",
        {"@odata.id": f"/api/v1/groups/{group['id']}"},
        headers=admin.headers,
    )
    path = f"{USERS}/{user['id']}/memberOf/{group['id']}/$ref"

    testapp.delete(path, headers=admin.headers, status=204)

    testapp.delete(path, headers=admin.headers, status=404)
    assert testapp.get(f"{USERS}/{user['id']}/memberOf", headers=admin.headers).json["items"] == []


def test_member_of_respects_idp_guardrail(testapp, admin):
    user = create(testapp, admin.headers).json
    group = make_group(testapp, admin.headers, "synced", source="idp")

    response = testapp.post_json(
        f"{USERS}/{user['id']}/memberOf/$ref",
        {"@odata.id": f"/api/v1/groups/{group['id']}"},
        headers=admin.headers,
        status=409,
    )

    assert response.json["type"] == "urn:access-platform:problem:group-read-only"
    assert "source=idp" in response.json["detail"]
