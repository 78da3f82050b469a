"""SCIM Users and Groups beyond the interoperability cases: filters, shaping, ETags, PUT, DELETE."""

from __future__ import annotations

import uuid

import pytest

from tests.functional.scim_helpers import (
    ENTERPRISE_URN,
    GROUP_URN,
    SCIM,
    USER_URN,
    Scim,
    assert_scim_error,
    member_values,
)


@pytest.fixture
def scim(testapp, scim_headers):
    return Scim(testapp, scim_headers)


@pytest.fixture
def people(scim):
    alice = scim.create_user(
        "alice@example.com",
        displayName="Alice Smith",
        name={"givenName": "Alice", "familyName": "Smith"},
        emails=[
            {"type": "work", "value": "Alice@Work.example", "primary": True},
            {"type": "home", "value": "alice@home.example"},
        ],
        externalId="ext-alice",
    )
    bob = scim.create_user(
        "bob@example.com", displayName="Bob Jones", active=False, externalId="ext-bob"
    )
    return alice, bob


def ids(body) -> list[str]:
    return [resource["id"] for resource in body["Resources"]]


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('userName sw "ali"', ["alice"]),
        ('userName co "OB@"', ["bob"]),
        ('userName ew "@example.com"', ["alice", "bob"]),
        ('displayName eq "alice smith"', ["alice"]),
        ("active eq false", ["bob"]),
        ("active eq true and userName pr", ["alice"]),
        ("not (active eq true)", ["bob"]),
        ('externalId eq "ext-bob" or externalId eq "ext-alice"', ["alice", "bob"]),
        ('name.familyName eq "Smith"', ["alice"]),
        ('emails.value eq "alice@work.example"', ["alice"]),
        ('emails[type eq "work"].value eq "ALICE@WORK.EXAMPLE"', ["alice"]),
        ('emails[type eq "home" and value co "home"]', ["alice"]),
        ('emails[type eq "work"].value eq "alice@home.example"', []),
        ("emails pr", ["alice"]),
        ("not (emails pr)", ["bob"]),
        ('not (emails[type eq "work"].value eq "alice@work.example")', ["bob"]),
        ('emails[type eq "home"] or userName eq "bob@example.com"', ["alice", "bob"]),
        ('emails[type eq "home"] and not (emails[type eq "work"])', []),
        ('emails.value co "example" and emails[primary eq true]', ["alice"]),
        ('meta.created gt "2000-01-01T00:00:00Z"', ["alice", "bob"]),
        ('userName ne "alice@example.com"', ["bob"]),
    ],
)
def test_user_filters(scim, people, filter_text, expected):
    alice, bob = people
    names = {"alice": alice["id"], "bob": bob["id"]}

    body = scim.get("/Users", filter=filter_text).json

    assert sorted(ids(body)) == sorted(names[name] for name in expected)


@pytest.mark.parametrize(
    "filter_text",
    [
        "userName eq",
        'userName xx "a"',
        'nickName2 eq "a"',
        '(userName eq "a"',
        "active gt true",
        'groups.value eq "x"',
        "x" * 5000,
    ],
)
def test_bad_filter_is_invalid_filter(scim, people, filter_text):
    assert_scim_error(scim.get("/Users", filter=filter_text, status=400), 400, "invalidFilter")


def test_sort_by_user_name_descending(scim, people):
    body = scim.get("/Users", sortBy="userName", sortOrder="descending").json
    assert [resource["userName"] for resource in body["Resources"]] == [
        "bob@example.com",
        "alice@example.com",
    ]


def test_bad_sort_is_invalid_value(scim, people):
    assert_scim_error(scim.get("/Users", sortBy="password", status=400), 400, "invalidValue")
    assert_scim_error(scim.get("/Users", sortOrder="sideways", status=400), 400, "invalidValue")


def test_attributes_and_excluded_attributes(scim, people):
    alice, _bob = people

    only = scim.get(f"/Users/{alice['id']}", attributes="userName,name.givenName").json
    without = scim.get(f"/Users/{alice['id']}", excludedAttributes="emails,meta").json

    assert set(only) == {"schemas", "id", "userName", "name"}
    assert only["name"] == {"givenName": "Alice"}
    assert "emails" not in without
    assert "meta" not in without
    assert without["userName"] == "alice@example.com"


def test_search_endpoint(scim, people):
    alice, _bob = people
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName sw "alice"',
        "attributes": ["userName"],
        "count": 10,
    }

    response = scim.post("/Users/.search", body, status=200)

    assert ids(response.json) == [alice["id"]]
    assert set(response.json["Resources"][0]) == {"schemas", "id", "userName"}


def test_user_representation(scim, people):
    alice, _bob = people

    response = scim.get(f"/Users/{alice['id']}")

    body = response.json
    assert body["schemas"] == [USER_URN]
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{alice['id']}")
    assert response.headers["ETag"] == body["meta"]["version"]
    assert body["emails"][0] == {"type": "work", "value": "Alice@Work.example", "primary": True}
    assert body["groups"] == []
    assert "password" not in body


def test_rest_sees_scim_user(scim, testapp, admin, people):
    alice, _bob = people

    user = testapp.get(f"/api/v1/users/{alice['id']}", headers=admin.headers).json

    assert user["source"] == "scim"
    assert user["email"] == "Alice@Work.example"
    assert user["given_name"] == "Alice"


def test_if_none_match_gives_304(scim, testapp, scim_headers, people):
    alice, _bob = people
    etag = scim.get(f"/Users/{alice['id']}").headers["ETag"]

    testapp.get(
        f"/scim/v2/Users/{alice['id']}", headers={**scim_headers, "If-None-Match": etag}, status=304
    )


def test_stale_if_match_gives_412(scim, testapp, scim_headers, people):
    alice, _bob = people
    stale = scim.get(f"/Users/{alice['id']}").headers["ETag"]
    scim.patch(
        f"/Users/{alice['id']}", [{"op": "replace", "path": "displayName", "value": "Changed"}]
    )

    response = testapp.request(
        f"/scim/v2/Users/{alice['id']}",
        method="PATCH",
        body=b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Lost"}]}',
        headers={**scim_headers, "Content-Type": SCIM, "If-Match": stale},
        status=412,
    )

    assert_scim_error(response, 412)
    assert scim.get(f"/Users/{alice['id']}").json["displayName"] == "Changed"


def test_put_replaces_user(scim, people):
    alice, _bob = people

    body = scim.put(
        f"/Users/{alice['id']}",
        {
            "schemas": [USER_URN, ENTERPRISE_URN],
            "userName": "alice@example.com",
            ENTERPRISE_URN: {"department": "R&D"},
        },
    ).json

    assert "displayName" not in body
    assert "emails" not in body
    assert body[ENTERPRISE_URN] == {"department": "R&D"}


def test_put_without_user_name_is_invalid(scim, people):
    alice, _bob = people
    response = scim.put(
        f"/Users/{alice['id']}", {"schemas": [USER_URN], "displayName": "x"}, status=400
    )
    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {
            "displayName": "Carol Diaz",
            "name": {"givenName": "Carol", "familyName": "Diaz", "middleName": "Ann"},
            "emails": [
                {"value": "Carol@Work.example", "type": "work", "primary": True},
                {"value": "carol@home.example", "display": "Home"},
                {"value": "carol@other.example", "primary": False},
            ],
            "externalId": "ext-carol",
            "nickName": "cd",
        },
        {"active": False, "emails": [{"value": "off@example.com"}]},
        {"schemas": [USER_URN, ENTERPRISE_URN], ENTERPRISE_URN: {"employeeNumber": "42"}},
    ],
)
def test_post_response_matches_get(scim, attributes):
    body = {"schemas": [USER_URN], "userName": "carol@example.com", **attributes}

    created = scim.post("/Users", body)
    fetched = scim.get(f"/Users/{created.json['id']}")

    assert created.json == fetched.json
    assert created.headers["ETag"] == fetched.headers["ETag"]


def test_post_without_schemas_is_invalid(scim):
    response = scim.post("/Users", {"userName": "nos@example.com"}, status=400)
    assert_scim_error(response, 400)


def test_read_only_attribute_is_mutability_error(scim, people):
    alice, _bob = people
    response = scim.patch(
        f"/Users/{alice['id']}", [{"op": "replace", "path": "groups", "value": []}], status=400
    )
    assert_scim_error(response, 400, "mutability")


def test_delete_user(scim, testapp, admin, people):
    alice, _bob = people
    group = scim.create_group("Doomed members", [alice["id"]])

    scim.delete(f"/Users/{alice['id']}")

    assert_scim_error(scim.get(f"/Users/{alice['id']}", status=404), 404)
    assert member_values(scim.get(f"/Groups/{group['id']}").json) == []
    testapp.get(f"/api/v1/users/{alice['id']}", headers=admin.headers, status=404)


def test_read_only_token_cannot_write(testapp, factory):
    reader = Scim(testapp, {"Authorization": f"Bearer {factory.scim_token(scopes=('read',))}"})

    reader.get("/Users")
    response = reader.post(
        "/Users", {"schemas": [USER_URN], "userName": "ro@example.com"}, status=403
    )

    assert_scim_error(response, 403)


# --- Groups ------------------------------------------------------------------------------------


def test_group_lifecycle(scim, testapp, admin, people):
    alice, bob = people

    created = scim.post(
        "/Groups",
        {"schemas": [GROUP_URN], "displayName": "Engineering", "members": [{"value": alice["id"]}]},
    )
    group_id = created.json["id"]
    renamed = scim.put(
        f"/Groups/{group_id}",
        {
            "schemas": [GROUP_URN],
            "displayName": "Engineering 2",
            "members": [{"value": bob["id"], "type": "User"}],
        },
    ).json

    assert created.headers["Location"] == created.json["meta"]["location"]
    assert created.json["members"][0]["$ref"].endswith(f"/scim/v2/Users/{alice['id']}")
    assert renamed["displayName"] == "Engineering 2"
    assert member_values(renamed) == [bob["id"]]
    rest = testapp.get(f"/api/v1/groups/{group_id}", headers=admin.headers).json
    assert rest["source"] == "idp"
    scim.delete(f"/Groups/{group_id}")
    assert_scim_error(scim.get(f"/Groups/{group_id}", status=404), 404)


def test_scim_group_is_read_only_over_rest(scim, testapp, admin, people):
    alice, bob = people
    group = scim.create_group("Synced", [alice["id"]])

    response = testapp.post_json(
        f"/api/v1/groups/{group['id']}/members/$ref",
        {"@odata.id": f"/api/v1/users/{bob['id']}"},
        headers=admin.headers,
        status=409,
    )

    assert response.json["type"] == "urn:access-platform:problem:group-read-only"
    scim.patch(
        f"/Groups/{group['id']}",
        [{"op": "add", "path": "members", "value": [{"value": bob["id"]}]}],
    )


def test_duplicate_group_name_is_uniqueness(scim):
    scim.create_group("Team")
    response = scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": "TEAM"}, status=409)
    assert_scim_error(response, 409, "uniqueness")


def test_nested_group_members_and_cycle(scim):
    outer = scim.create_group("Outer")
    inner = scim.create_group("Inner", [])

    nested = scim.patch(
        f"/Groups/{outer['id']}",
        [{"op": "add", "path": "members", "value": [{"value": inner["id"]}]}],
    ).json
    cycle = scim.patch(
        f"/Groups/{inner['id']}",
        [{"op": "add", "path": "members", "value": [{"value": outer["id"]}]}],
        status=400,
    )

    assert nested["members"][0]["type"] == "Group"
    assert_scim_error(cycle, 400, "invalidValue")


def test_group_filter_by_member(scim, people):
    alice, _bob = people
    group = scim.create_group("Has Alice", [alice["id"]])
    empty = scim.create_group("Empty")

    body = scim.get("/Groups", filter=f'members[value eq "{alice["id"]}"]').json
    negated = scim.get("/Groups", filter=f'not (members[value eq "{alice["id"]}"])').json

    assert [resource["id"] for resource in body["Resources"]] == [group["id"]]
    assert [resource["id"] for resource in negated["Resources"]] == [empty["id"]]


def test_scim_created_rows_record_token(scim, registry, people):
    from access_platform.db import session_scope
    from access_platform.users.models import User

    alice, _bob = people
    with session_scope(registry.db_session_factory) as dbsession:
        assert dbsession.get(User, alice["id"]).scim_token_id is not None


def test_unknown_group_is_404(scim):
    assert_scim_error(scim.get(f"/Groups/{uuid.uuid4()}", status=404), 404)
    assert_scim_error(
        scim.patch(
            f"/Groups/{uuid.uuid4()}", [{"op": "add", "path": "members", "value": []}], status=404
        ),
        404,
    )


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        (f'{ENTERPRISE_URN}:employeeNumber eq "E-1"', ["alice"]),
        (f'{ENTERPRISE_URN}:department eq "research"', ["alice", "bob"]),
        (f'{ENTERPRISE_URN}:manager.value eq "m-1"', ["bob"]),
        ('title sw "sen"', ["alice"]),
        ("userType pr", ["bob"]),
    ],
)
def test_filter_on_attributes_kept_as_json(scim, filter_text, expected):
    alice = scim.create_user(
        "json-alice@example.com",
        title="Senior engineer",
        schemas=[USER_URN, ENTERPRISE_URN],
        **{ENTERPRISE_URN: {"employeeNumber": "E-1", "department": "Research"}},
    )
    bob = scim.create_user(
        "json-bob@example.com",
        userType="Contractor",
        schemas=[USER_URN, ENTERPRISE_URN],
        **{ENTERPRISE_URN: {"department": "RESEARCH", "manager": {"value": "m-1"}}},
    )
    names = {"alice": alice["id"], "bob": bob["id"]}

    body = scim.get("/Users", filter=filter_text).json

    assert sorted(ids(body)) == sorted(names[name] for name in expected)


def test_group_without_display_name(scim, testapp, admin):
    created = scim.post("/Groups", {"schemas": [GROUP_URN], "externalId": "no-name"}).json

    assert "displayName" not in created
    rest = testapp.get(f"/api/v1/groups/{created['id']}", headers=admin.headers).json
    assert rest["display_name"] == created["id"]
    named = scim.patch(
        f"/Groups/{created['id']}", [{"op": "add", "path": "displayName", "value": "Named"}]
    )
    assert named.json["displayName"] == "Named"


def test_removed_active_keeps_user_active(scim, testapp, admin):
    user = scim.create_user("active-removed@example.com", active=True)

    patched = scim.patch(f"/Users/{user['id']}", [{"op": "remove", "path": "active"}]).json

    assert "active" not in patched
    assert (
        testapp.get(f"/api/v1/users/{user['id']}", headers=admin.headers).json["status"] == "active"
    )
    again = scim.patch(
        f"/Users/{user['id']}", [{"op": "add", "path": "active", "value": False}]
    ).json
    assert again["active"] is False


def test_member_display_reads_back_as_sent(scim, people):
    alice, _bob = people
    group = scim.create_group("Labels")

    added = scim.patch(
        f"/Groups/{group['id']}",
        [{"op": "add", "path": "members", "value": [{"value": alice["id"], "display": "Ali"}]}],
    ).json
    relabelled = scim.patch(
        f"/Groups/{group['id']}",
        [
            {
                "op": "replace",
                "path": "members",
                "value": [{"value": alice["id"], "display": "Alice S."}],
            }
        ],
    ).json

    assert added["members"][0]["display"] == "Ali"
    assert relabelled["members"][0]["display"] == "Alice S."
