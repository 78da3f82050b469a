"""Values whose case-folded form outgrows its column get 422, not a database error."""

from __future__ import annotations

import pytest

# "ß" folds to "ss", so 200 of them are 400 characters once folded.
LONG_ONCE_FOLDED = "ß" * 200
USERS = "/api/v1/users"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (USERS, {"user_name": LONG_ONCE_FOLDED}, "user_name"),
        (
            USERS,
            {"user_name": "shown@example.com", "display_name": LONG_ONCE_FOLDED},
            "display_name",
        ),
        ("/api/v1/groups", {"display_name": LONG_ONCE_FOLDED}, "display_name"),
        ("/api/v1/workspaces", {"name": LONG_ONCE_FOLDED}, "name"),
        ("/api/v1/roles", {"name": LONG_ONCE_FOLDED, "permissions": ["users.read"]}, "name"),
    ],
)
def test_create_with_long_folded_value_gets_422(testapp, admin, path, body, field):
    before = testapp.get(path, {"count": "true"}, headers=admin.headers).json["total"]

    response = testapp.post_json(path, body, headers=admin.headers, status=422)

    assert response.json["errors"][0]["pointer"] == f"#/{field}"
    assert "folded" in response.json["errors"][0]["detail"]
    after = testapp.get(path, {"count": "true"}, headers=admin.headers).json["total"]
    assert after == before


def test_update_with_long_folded_value_changes_nothing(testapp, admin):
    user = testapp.post_json(USERS, {"user_name": "fold@example.com"}, headers=admin.headers).json
    before = testapp.get(f"{USERS}/{user['id']}", headers=admin.headers)

    response = testapp.patch_json(
        f"{USERS}/{user['id']}",
        {"display_name": LONG_ONCE_FOLDED},
        headers=admin.headers,
        status=422,
    )

    assert response.json["errors"][0]["pointer"] == "#/display_name"
    after = testapp.get(f"{USERS}/{user['id']}", headers=admin.headers)
    assert after.json == before.json
    assert after.headers["ETag"] == before.headers["ETag"]


def test_batch_item_with_long_folded_value_fails_alone(testapp, admin):
    response = testapp.post_json(
        "/api/v1/$batch",
        {
            "requests": [
                {"id": "1", "method": "POST", "url": "/users", "body": {"user_name": "ok@x.io"}},
                {
                    "id": "2",
                    "method": "POST",
                    "url": "/users",
                    "body": {"user_name": LONG_ONCE_FOLDED},
                },
            ]
        },
        headers=admin.headers,
    )

    statuses = [item["status"] for item in response.json["responses"]]
    assert statuses == [201, 422]


def test_scim_long_folded_name_gets_400(testapp, factory):
    token = factory.scim_token()
    response = testapp.post_json(
        "/scim/v2/Users",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": LONG_ONCE_FOLDED},
        headers={"Authorization": f"Bearer {token}"},
        status=400,
    )

    assert response.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.json["scimType"] == "invalidValue"


def test_scim_long_folded_email_gets_400(testapp, factory):
    token = factory.scim_token()
    # 165 characters, within the 320 of an email, but 325 once folded.
    email = "ß" * 160 + "@x.io"

    response = testapp.post_json(
        "/scim/v2/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "short@example.com",
            "emails": [{"value": email, "type": "work"}],
        },
        headers={"Authorization": f"Bearer {token}"},
        status=400,
    )

    assert response.json["scimType"] == "invalidValue"
    assert "too long once folded" in response.json["detail"]
