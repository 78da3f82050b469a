"""Interoperability cases C-01 to C-10: what Entra ID, Okta and scripts send to /scim/v2."""

from __future__ import annotations

import uuid

import pytest

from tests.functional.scim_helpers import (
    ENTERPRISE_URN,
    LIST_URN,
    SCIM,
    USER_URN,
    Scim,
    assert_scim_error,
    member_values,
)


@pytest.fixture
def scim(testapp, scim_headers):
    return Scim(testapp, scim_headers)


# --- C-01: op in any letter case ---


@pytest.mark.parametrize("op", ["Replace", "replace", "REPLACE"])
def test_c01_user_replace_in_any_case(scim, op):
    user = scim.create_user("c01@example.com")

    response = scim.patch(
        f"/Users/{user['id']}", [{"op": op, "path": "displayName", "value": "New Name"}]
    )

    assert response.json["displayName"] == "New Name"
    assert response.json["userName"] == "c01@example.com"
    assert response.content_type == SCIM


@pytest.mark.parametrize("op", ["Add", "add", "ADD"])
def test_c01_group_add_in_any_case(scim, op):
    user = scim.create_user("member@example.com")
    group = scim.create_group("C01 group")

    response = scim.patch(
        f"/Groups/{group['id']}",
        [{"op": op, "path": "members", "value": [{"$ref": None, "value": user["id"]}]}],
    )

    assert member_values(response.json) == [user["id"]]


def test_c01_unknown_op_is_invalid_syntax(scim):
    user = scim.create_user("c01b@example.com", displayName="Before")

    response = scim.patch(
        f"/Users/{user['id']}",
        [{"op": "merge", "path": "displayName", "value": "After"}],
        status=400,
    )

    assert_scim_error(response, 400, "invalidSyntax")
    assert scim.get(f"/Users/{user['id']}").json["displayName"] == "Before"


# --- C-02: booleans as strings ---


def test_c02_patch_active_false_string_deactivates(scim, testapp, factory):
    principal = factory.user(password="a long password")
    testapp.post_json(
        "/api/v1/auth/login", {"user_name": principal.user_name, "password": "a long password"}
    )

    response = scim.patch(
        f"/Users/{principal.user_id}", [{"op": "Replace", "path": "active", "value": "False"}]
    )

    assert response.json["active"] is False
    testapp.get("/api/v1/auth/session", status=401)
    testapp.get("/api/v1/auth/session", headers=principal.headers, status=401)
    testapp.post_json(
        "/api/v1/auth/login",
        {"user_name": principal.user_name, "password": "a long password"},
        status=401,
    )


def test_c02_post_active_true_string(scim):
    body = {"schemas": [USER_URN], "userName": "user1@example.com", "active": "True"}

    response = scim.post("/Users", body)

    assert response.json["active"] is True


def test_c02_invalid_boolean_string(scim):
    user = scim.create_user("c02@example.com")

    response = scim.patch(
        f"/Users/{user['id']}", [{"op": "Replace", "path": "active", "value": "yes"}], status=400
    )

    assert_scim_error(response, 400, "invalidValue")
    assert scim.get(f"/Users/{user['id']}").json["active"] is True


# --- C-03: no path, dotted keys, sub-attribute paths ---


def test_c03_paths_without_path_and_dotted(scim):
    user = scim.create_user("c03@example.com", name={"givenName": "Given", "familyName": "Family"})
    path = f"/Users/{user['id']}"

    first = scim.patch(path, [{"op": "replace", "value": {"active": False}}]).json
    second = scim.patch(
        path,
        [
            {
                "op": "replace",
                "value": {
                    "displayName": "Display",
                    "name.givenName": "Given 2",
                    "name.familyName": "Family 2",
                    f"{ENTERPRISE_URN}:employeeNumber": "E-17",
                },
            }
        ],
    ).json
    third = scim.patch(
        path, [{"op": "Replace", "path": "name.familyName", "value": "Family 3"}]
    ).json

    assert first["active"] is False
    assert second["displayName"] == "Display"
    assert second["name"] == {"givenName": "Given 2", "familyName": "Family 2"}
    assert second[ENTERPRISE_URN] == {"employeeNumber": "E-17"}
    assert ENTERPRISE_URN in second["schemas"]
    assert "name.givenName" not in second
    assert f"{ENTERPRISE_URN}:employeeNumber" not in second
    assert third["name"] == {"givenName": "Given 2", "familyName": "Family 3"}


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "favouriteColour", "value": "blue"},
        {"op": "replace", "value": {"favouriteColour": "blue"}},
        {"op": "add", "value": {"displayName": "x", "nickname2": "y"}},
    ],
)
def test_c03_unknown_attribute_is_invalid_path(scim, operation):
    user = scim.create_user("c03b@example.com", displayName="Unchanged")

    response = scim.patch(f"/Users/{user['id']}", [operation], status=400)

    assert_scim_error(response, 400, "invalidPath")
    assert scim.get(f"/Users/{user['id']}").json["displayName"] == "Unchanged"


# --- C-04: filtered paths on multi-valued attributes ---


def test_c04_filtered_paths(scim):
    user = scim.create_user(
        "c04@example.com", emails=[{"type": "home", "value": "home1@example.org"}]
    )
    path = f"/Users/{user['id']}"

    first = scim.patch(
        path,
        [
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "user1@example.com"},
            {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Springfield"},
            {"op": "Add", "path": 'addresses[type eq "work"].postalCode', "value": "12345"},
        ],
    ).json
    second = scim.patch(
        path,
        [
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "user1.new@example.com",
            }
        ],
    ).json

    assert {"type": "home", "value": "home1@example.org"} in first["emails"]
    assert {"type": "work", "value": "user1@example.com"} in first["emails"]
    assert len(first["emails"]) == 2
    assert first["addresses"] == [
        {"type": "work", "locality": "Springfield", "postalCode": "12345"}
    ]
    assert {"type": "work", "value": "user1.new@example.com"} in second["emails"]
    assert {"type": "home", "value": "home1@example.org"} in second["emails"]
    assert len(second["emails"]) == 2


def test_c04_replace_without_match_is_no_target(scim):
    user = scim.create_user("c04b@example.com")

    response = scim.patch(
        f"/Users/{user['id']}",
        [{"op": "Replace", "path": 'phoneNumbers[type eq "fax"].value', "value": "+1 555 0100"}],
        status=400,
    )

    assert_scim_error(response, 400, "noTarget")
    assert "phoneNumbers" not in scim.get(f"/Users/{user['id']}").json


# --- C-05: remove one member ---


@pytest.fixture
def c05(scim):
    users = [scim.create_user(f"c05-{index}@example.com")["id"] for index in range(4)]
    group = scim.create_group("C05 group", users[:3])
    return group["id"], users


def test_c05_a_remove_by_value_list(scim, c05):
    group_id, (u1, u2, u3, _u9) = c05

    response = scim.patch(
        f"/Groups/{group_id}", [{"op": "Remove", "path": "members", "value": [{"value": u2}]}]
    )

    assert member_values(response.json) == sorted([u1, u3])
    assert member_values(scim.get(f"/Groups/{group_id}").json) == sorted([u1, u3])


def test_c05_b_remove_by_filter(scim, c05):
    group_id, (u1, u2, u3, _u9) = c05

    response = scim.patch(
        f"/Groups/{group_id}", [{"op": "remove", "path": f'members[value eq "{u2}"]'}]
    )

    assert member_values(response.json) == sorted([u1, u3])


def test_c05_c_remove_non_member_changes_nothing(scim, c05):
    group_id, (u1, u2, u3, u9) = c05

    response = scim.patch(
        f"/Groups/{group_id}", [{"op": "remove", "path": f'members[value eq "{u9}"]'}]
    )

    assert member_values(response.json) == sorted([u1, u2, u3])


def test_c05_d_remove_all_members(scim, c05):
    group_id, _users = c05

    response = scim.patch(f"/Groups/{group_id}", [{"op": "remove", "path": "members"}])

    assert response.json.get("members", []) == []


def test_c05_remove_without_path_is_no_target(scim, c05):
    group_id, users = c05

    response = scim.patch(
        f"/Groups/{group_id}", [{"op": "remove", "value": [{"value": users[0]}]}], status=400
    )

    assert_scim_error(response, 400, "noTarget")


# --- C-06: replace the member list ---


@pytest.fixture
def c06(scim):
    u1, u2, u3 = (scim.create_user(f"c06-{index}@example.com")["id"] for index in range(3))
    group = scim.create_group("C06 group", [u2, u3])
    return group["id"], u1, u2, u3


def test_c06_a_replace_with_empty_list(scim, c06):
    group_id, *_ = c06
    response = scim.patch(
        f"/Groups/{group_id}", [{"op": "replace", "path": "members", "value": []}]
    )
    assert response.json.get("members", []) == []


def test_c06_b_replace_with_one(scim, c06):
    group_id, u1, _u2, _u3 = c06

    response = scim.patch(
        f"/Groups/{group_id}",
        [
            {
                "op": "replace",
                "path": "members",
                "value": [{"value": u1, "display": "user1@example.com"}],
            }
        ],
    )

    assert member_values(response.json) == [u1]


def test_c06_c_d_add_is_idempotent(scim, c06):
    group_id, u1, u2, u3 = c06
    operation = [
        {"op": "add", "path": "members", "value": [{"value": u1, "display": "user1@example.com"}]}
    ]

    first = scim.patch(f"/Groups/{group_id}", operation).json
    second = scim.patch(f"/Groups/{group_id}", operation).json

    assert member_values(first) == sorted([u1, u2, u3])
    added = next(member for member in first["members"] if member["value"] == u1)
    assert added["type"] == "User"
    assert member_values(second) == sorted([u1, u2, u3])
    assert second["meta"]["lastModified"] == first["meta"]["lastModified"]


def test_c06_unknown_member_is_invalid_value(scim, c06):
    group_id, _u1, u2, u3 = c06

    response = scim.patch(
        f"/Groups/{group_id}",
        [{"op": "add", "path": "members", "value": [{"value": str(uuid.uuid4())}]}],
        status=400,
    )

    assert_scim_error(response, 400, "invalidValue")
    assert member_values(scim.get(f"/Groups/{group_id}").json) == sorted([u2, u3])


# --- C-07: lookups ---


def test_c07_lookups(scim):
    external_id = str(uuid.uuid4())
    user = scim.create_user("user1@example.com", externalId=external_id)
    scim.create_group("C07 group", [user["id"]])

    missing = scim.get("/Users", filter=f'userName eq "{uuid.uuid4()}"')
    by_external = scim.get("/Users", filter=f'externalId eq "{external_id}"').json
    by_upper = scim.get("/Users", filter=f'externalId eq "{external_id.upper()}"').json
    group = scim.get(
        "/Groups", excludedAttributes="members", filter='displayName eq "C07 group"'
    ).json
    unknown = scim.get(f"/Users/{uuid.uuid4()}", status=404)

    assert missing.content_type == SCIM
    assert missing.json == {
        "schemas": [LIST_URN],
        "totalResults": 0,
        "Resources": [],
        "startIndex": 1,
        "itemsPerPage": 0,
    }
    assert by_external["totalResults"] == 1
    assert by_external["Resources"][0]["id"] == user["id"]
    assert by_upper["totalResults"] == 0
    assert group["totalResults"] == 1
    assert "members" not in group["Resources"][0]
    assert_scim_error(unknown, 404)


# --- C-08: userName is case-insensitive ---


def test_c08_user_name_case(scim):
    u1 = scim.create_user("user1@example.com")
    u2 = scim.create_user("user2@example.com")

    a = scim.get("/Users", filter='userName eq "User1@Example.COM"').json
    b = scim.get("/Users", filter='USERNAME EQ "user1@example.com"').json
    c = scim.post(
        "/Users",
        {"schemas": [USER_URN], "userName": "USER1@example.com", "active": True},
        status=409,
    )
    d = scim.patch(
        f"/Users/{u2['id']}",
        [{"op": "replace", "path": "userName", "value": "User1@Example.com"}],
        status=409,
    )
    e = scim.put(
        f"/Users/{u2['id']}", {"schemas": [USER_URN], "userName": "USER1@EXAMPLE.COM"}, status=409
    )

    assert a["totalResults"] == 1
    assert a["Resources"][0]["id"] == u1["id"]
    assert a["Resources"][0]["userName"] == "user1@example.com"
    assert b["totalResults"] == 1
    assert_scim_error(c, 409, "uniqueness")
    assert_scim_error(d, 409, "uniqueness")
    assert_scim_error(e, 409, "uniqueness")
    assert scim.get(f"/Users/{u2['id']}").json["userName"] == "user2@example.com"
    assert scim.get("/Users").json["totalResults"] == 2


# --- C-09: paging ---


def test_c09_sorted_pages_keep_order(scim):
    names = [f"c09s-{index}@example.com" for index in range(7)]
    for name in names:
        scim.create_user(name)
    params = {"sortBy": "userName", "sortOrder": "descending", "count": "3"}

    pages = [scim.get("/Users", startIndex=str(start), **params).json for start in (1, 4, 7)]
    filtered = scim.get("/Users", filter='userName sw "c09s-"', startIndex="6", **params).json

    seen = [resource["userName"] for page in pages for resource in page["Resources"]]
    assert seen == sorted(names, reverse=True)
    assert [page["totalResults"] for page in pages] == [7, 7, 7]
    assert [resource["userName"] for resource in filtered["Resources"]] == names[1::-1]
    assert filtered["totalResults"] == 7


def test_c09_paging(scim):
    ids = sorted(scim.create_user(f"c09-{index}@example.com")["id"] for index in range(8))

    a = scim.get("/Users").json
    b = scim.get("/Users", startIndex="4", count="3").json
    c = scim.get("/Users", count="0").json
    d = scim.get("/Users", startIndex="0", count="3").json
    d1 = scim.get("/Users", startIndex="1", count="3").json
    e = scim.get("/Users", startIndex="10", count="3").json
    f = scim.get("/Users", count="-5").json
    g = scim.get("/Users", count="abc", status=400)
    pages = [scim.get("/Users", startIndex=str(start), count="3").json for start in (1, 4, 7)]

    assert (a["totalResults"], a["startIndex"], len(a["Resources"])) == (8, 1, 8)
    assert (b["startIndex"], b["itemsPerPage"], b["totalResults"]) == (4, 3, 8)
    assert [resource["id"] for resource in b["Resources"]] == ids[3:6]
    assert (c["totalResults"], c["itemsPerPage"], c["Resources"]) == (8, 0, [])
    assert d["Resources"] == d1["Resources"]
    assert d["startIndex"] == 1
    assert (e["totalResults"], e["Resources"], e["itemsPerPage"]) == (8, [], 0)
    assert (f["totalResults"], f["itemsPerPage"]) == (8, 0)
    assert_scim_error(g, 400, "invalidValue")
    seen = [resource["id"] for page in pages for resource in page["Resources"]]
    assert sorted(seen) == ids
    assert [page["totalResults"] for page in pages] == [8, 8, 8]
    assert [page["itemsPerPage"] for page in pages] == [3, 3, 2]
    for body in (a, b, c, d, e, f):
        assert all(
            isinstance(body[key], int) for key in ("totalResults", "startIndex", "itemsPerPage")
        )


def test_c09_max_results_advertised(scim):
    config = scim.get("/ServiceProviderConfig").json
    assert config["filter"]["supported"] is True
    assert config["filter"]["maxResults"] >= 8


# --- C-10: media types ---


@pytest.mark.parametrize(
    ("content_type", "user_name"),
    [
        ("application/scim+json; charset=utf-8", "user1@example.com"),
        ("application/json", "user2@example.com"),
        ("application/SCIM+json;charset=UTF-8", "user3@example.com"),
    ],
)
def test_c10_json_media_types(scim, content_type, user_name):
    body = {"schemas": [USER_URN], "userName": user_name, "active": True}

    response = scim.post("/Users", body, content_type=content_type)

    assert response.status_int == 201
    assert response.headers["Location"] == response.json["meta"]["location"]
    assert response.content_type == SCIM
    assert response.json["userName"] == user_name
    assert response.json["active"] is True


def test_c10_accept_json_is_served(testapp, scim_headers):
    response = testapp.get(
        "/scim/v2/Users", headers={**scim_headers, "Accept": "application/json"}, status=200
    )
    assert response.content_type == SCIM


def test_c10_non_json_body_is_invalid_syntax(testapp, scim_headers):
    response = testapp.post(
        "/scim/v2/Users",
        b"userName=user3",
        headers={**scim_headers, "Content-Type": "application/scim+json"},
        status=400,
    )
    assert_scim_error(response, 400, "invalidSyntax")
