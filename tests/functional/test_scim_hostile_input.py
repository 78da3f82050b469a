"""Hostile and malformed SCIM requests: each gets a 4xx SCIM error, never a 500."""

from __future__ import annotations

import pytest

from tests.functional.scim_helpers import USER_URN, Scim, assert_scim_error, member_values

SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def scim(testapp, scim_headers):
    return Scim(testapp, scim_headers)


@pytest.mark.parametrize(
    "filter_text",
    [
        'meta.created gt "2026-01-01T00:00:00"',
        'meta.created gt "2026-01-01"',
        'meta.lastModified lt "0001-01-01T00:00:00+01:00"',
        'meta.created gt "9999-12-31T23:59:59-01:00"',
        'userName eq "\\ud800"',
        'userName eq "nul\\u0000"',
    ],
)
def test_bad_filter_values_are_invalid_filter(scim, filter_text):
    assert_scim_error(scim.get("/Users", filter=filter_text, status=400), 400, "invalidFilter")
    assert_scim_error(
        scim.get("/Groups", filter=filter_text.replace("userName", "displayName"), status=400),
        400,
        "invalidFilter",
    )


def test_huge_start_index_is_empty_page(scim):
    scim.create_user("one@example.com")
    body = scim.get("/Users", startIndex="99999999999999999999999", count="1").json
    assert (body["totalResults"], body["Resources"]) == (1, [])


@pytest.mark.parametrize(
    "fields",
    [
        {"attributes": ["userName", 5]},
        {"excludedAttributes": [None]},
        {"attributes": 5},
        {"sortOrder": False},
    ],
)
def test_bad_search_request_is_invalid_value(scim, fields):
    response = scim.post("/Users/.search", {"schemas": [SEARCH_URN], **fields}, status=400)
    assert_scim_error(response, 400, "invalidValue")


def test_email_without_value_is_invalid(scim):
    response = scim.post(
        "/Users",
        {"schemas": [USER_URN], "userName": "x@example.com", "emails": [{"type": "work"}]},
        status=400,
    )
    assert_scim_error(response, 400, "invalidValue")
    assert scim.get("/Users").json["totalResults"] == 0


def test_patch_storing_bad_text_is_invalid(scim):
    user = scim.create_user("bad-text@example.com")
    response = scim.patch(
        f"/Users/{user['id']}",
        [{"op": "add", "path": 'phoneNumbers[type eq "\\udc00x"].value', "value": "1"}],
        status=400,
    )
    assert_scim_error(response, 400)
    assert "phoneNumbers" not in scim.get(f"/Users/{user['id']}").json


def test_deactivate_and_taken_name_is_409(scim):
    scim.create_user("alice@example.com")
    bob = scim.create_user("bob@example.com")

    response = scim.patch(
        f"/Users/{bob['id']}",
        [
            {"op": "replace", "path": "active", "value": False},
            {"op": "replace", "path": "userName", "value": "ALICE@example.com"},
        ],
        status=409,
    )

    assert_scim_error(response, 409, "uniqueness")
    stored = scim.get(f"/Users/{bob['id']}").json
    assert (stored["userName"], stored["active"]) == ("bob@example.com", True)


def test_group_rename_conflict_with_members(scim):
    bob = scim.create_user("bob@example.com")
    scim.create_group("All")
    group = scim.create_group("Eng")

    response = scim.patch(
        f"/Groups/{group['id']}",
        [
            {"op": "replace", "path": "displayName", "value": "all"},
            {"op": "add", "path": "members", "value": [{"value": bob["id"]}]},
        ],
        status=409,
    )

    assert_scim_error(response, 409, "uniqueness")
    assert member_values(scim.get(f"/Groups/{group['id']}").json) == []


def test_external_id_prefix_is_case_exact(scim):
    scim.create_user("ext@example.com", externalId="ext-alice")
    assert scim.get("/Users", filter='externalId sw "EXT-"').json["totalResults"] == 0
    assert scim.get("/Users", filter='externalId sw "ext-"').json["totalResults"] == 1


def test_given_name_compares_ignoring_case(scim):
    scim.create_user("given@example.com", name={"givenName": "Alice"})
    assert scim.get("/Users", filter='name.givenName eq "alice"').json["totalResults"] == 1


def test_sort_by_given_name(scim):
    for given in ("Carol", "Alice", "Bob"):
        scim.create_user(f"{given}@example.com", name={"givenName": given})
    body = scim.get("/Users", sortBy="name.givenName", sortOrder="descending").json
    assert [resource["name"]["givenName"] for resource in body["Resources"]] == [
        "Carol",
        "Bob",
        "Alice",
    ]


def test_urn_qualified_attributes_keep_groups(scim):
    user = scim.create_user("grouped@example.com")
    scim.create_group("G", [user["id"]])

    body = scim.get(
        "/Users", filter='userName eq "grouped@example.com"', attributes=f"{USER_URN}:groups"
    ).json

    assert [group["display"] for group in body["Resources"][0]["groups"]] == ["G"]


def test_wrong_type_for_existing_member_is_invalid(scim):
    bob = scim.create_user("typed@example.com")
    group = scim.create_group("Typed", [bob["id"]])

    response = scim.put(
        f"/Groups/{group['id']}",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Typed",
            "members": [{"value": bob["id"], "type": "Group"}],
        },
        status=400,
    )

    assert_scim_error(response, 400, "invalidValue")
