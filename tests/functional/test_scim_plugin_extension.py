"""A SCIM schema extension contributed by a plugin, used end to end."""

from __future__ import annotations

import pytest

from tests.functional.scim_helpers import GROUP_URN, USER_URN, Scim, assert_scim_error

BADGE_URN = "urn:example:params:scim:schemas:extension:badge:2.0:User"
BADGE_GROUP_URN = "urn:example:params:scim:schemas:extension:badge:2.0:Group"


@pytest.fixture
def scim(plugin_testapp, factory):
    return Scim(plugin_testapp, {"Authorization": f"Bearer {factory.scim_token()}"})


def test_extension_is_listed(scim):
    schemas = {schema["id"] for schema in scim.get("/Schemas").json["Resources"]}
    user_type = scim.get("/ResourceTypes/User").json

    assert BADGE_URN in schemas
    assert {"schema": BADGE_URN, "required": False} in user_type["schemaExtensions"]


def test_extension_end_to_end(scim):
    created = scim.create_user(
        "badge@example.com",
        schemas=[USER_URN, BADGE_URN],
        **{BADGE_URN: {"badgeNumber": "B-7", "clearance": 3, "contractor": "False"}},
    )
    path = f"/Users/{created['id']}"

    found = scim.get("/Users", filter=f'{BADGE_URN}:badgeNumber eq "B-7"').json
    by_number = scim.get("/Users", filter=f"{BADGE_URN}:clearance ge 3").json
    patched = scim.patch(
        path,
        [
            {"op": "replace", "path": f"{BADGE_URN}:contractor", "value": "True"},
            {"op": "add", "value": {f"{BADGE_URN}:validUntil": "2027-06-30T00:00:00Z"}},
        ],
    ).json
    contractors = scim.get("/Users", filter=f"{BADGE_URN}:contractor eq true").json
    fetched = scim.get(path).json

    assert created[BADGE_URN] == {"badgeNumber": "B-7", "clearance": 3, "contractor": False}
    assert BADGE_URN in created["schemas"]
    assert [resource["id"] for resource in found["Resources"]] == [created["id"]]
    assert [resource["id"] for resource in by_number["Resources"]] == [created["id"]]
    assert patched[BADGE_URN]["contractor"] is True
    assert [resource["id"] for resource in contractors["Resources"]] == [created["id"]]
    assert fetched[BADGE_URN] == {
        "badgeNumber": "B-7",
        "clearance": 3,
        "contractor": True,
        "validUntil": "2027-06-30T00:00:00Z",
    }


def test_extension_values_are_checked(scim):
    user = scim.create_user("badge2@example.com")

    wrong_type = scim.patch(
        f"/Users/{user['id']}",
        [{"op": "add", "path": f"{BADGE_URN}:clearance", "value": "high"}],
        status=400,
    )
    unknown = scim.patch(
        f"/Users/{user['id']}",
        [{"op": "add", "path": f"{BADGE_URN}:colour", "value": "red"}],
        status=400,
    )

    assert_scim_error(wrong_type, 400, "invalidValue")
    assert_scim_error(unknown, 400, "invalidPath")
    assert BADGE_URN not in scim.get(f"/Users/{user['id']}").json


def test_extension_unknown_without_plugin(testapp, scim_headers):
    scim = Scim(testapp, scim_headers)
    response = scim.post(
        "/Users",
        {
            "schemas": [USER_URN, BADGE_URN],
            "userName": "nobadge@example.com",
            BADGE_URN: {"badgeNumber": "x"},
        },
        status=400,
    )
    assert_scim_error(response, 400)


def test_sort_by_extension_attribute(scim):
    for number, clearance in (("B-1", 2), ("B-2", 9), ("B-3", 5)):
        scim.create_user(
            f"{number}@example.com",
            schemas=[USER_URN, BADGE_URN],
            **{BADGE_URN: {"badgeNumber": number, "clearance": clearance}},
        )

    body = scim.get("/Users", sortBy=f"{BADGE_URN}:clearance", sortOrder="descending").json

    assert [resource[BADGE_URN]["badgeNumber"] for resource in body["Resources"]] == [
        "B-2",
        "B-3",
        "B-1",
    ]


def user_names(body) -> list[str]:
    return sorted(resource["userName"] for resource in body["Resources"])


@pytest.fixture
def badge_holders(scim):
    # 09:00 at UTC+2 is 07:00 UTC, so as text it would sort after "08:00:00Z".
    scim.create_user(
        "early@example.com",
        schemas=[USER_URN, BADGE_URN],
        **{
            BADGE_URN: {
                "validUntil": "2027-01-01T09:00:00+02:00",
                "contractor": True,
                "doors": [
                    {"value": "Lab", "floor": 2, "since": "2024-01-01T00:00:00Z"},
                    {"value": "Roof", "floor": 9},
                ],
            }
        },
    )
    scim.create_user(
        "late@example.com",
        schemas=[USER_URN, BADGE_URN],
        **{BADGE_URN: {"validUntil": "2027-01-01T08:00:00Z", "doors": [{"value": "Lobby"}]}},
    )
    scim.create_user("none@example.com")


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        (f'{BADGE_URN}:validUntil lt "2027-01-01T07:30:00Z"', ["early"]),
        (f'{BADGE_URN}:validUntil eq "2027-01-01T07:00:00Z"', ["early"]),
        (f'{BADGE_URN}:validUntil ge "2027-01-01T09:00:00+01:00"', ["late"]),
        (f"{BADGE_URN}:contractor ne true", ["late", "none"]),
        (f"{BADGE_URN}:doors pr", ["early", "late"]),
        (f'{BADGE_URN}:doors eq "lobby"', ["late"]),
        (f'{BADGE_URN}:doors[value eq "roof" and floor gt 5]', ["early"]),
        (f'{BADGE_URN}:doors[value eq "lab"].floor gt 5', []),
        (f'{BADGE_URN}:doors.since lt "2025-01-01T00:00:00Z"', ["early"]),
        (f"{BADGE_URN}:doors.floor pr", ["early"]),
    ],
)
def test_filter_extension_json(scim, badge_holders, filter_text, expected):
    body = scim.get("/Users", filter=filter_text).json

    assert user_names(body) == [f"{name}@example.com" for name in expected]


def test_sort_by_date_time_as_instant(scim, badge_holders):
    body = scim.get("/Users", filter=f"{BADGE_URN}:validUntil pr", sortBy=f"{BADGE_URN}:validUntil")

    assert [resource["userName"] for resource in body.json["Resources"]] == [
        "early@example.com",
        "late@example.com",
    ]


def test_filter_core_multi_valued_json(testapp, scim_headers):
    scim = Scim(testapp, scim_headers)
    scim.create_user("phone@example.com", phoneNumbers=[{"type": "work", "value": "+1 555 0100"}])
    scim.create_user(
        "mobile@example.com", phoneNumbers=[{"type": "mobile", "value": "+1 555 0199"}]
    )

    body = scim.get("/Users", filter='phoneNumbers[type eq "work"].value sw "+1 555"').json

    assert user_names(body) == ["phone@example.com"]


def test_required_sub_attribute_checked(scim):
    response = scim.post(
        "/Users",
        {
            "schemas": [USER_URN, BADGE_URN],
            "userName": "door@example.com",
            BADGE_URN: {"doors": [{"floor": 1}]},
        },
        status=400,
    )

    assert_scim_error(response, 400, "invalidValue")
    assert "'value'" in response.json["detail"]


def test_group_extension_end_to_end(scim):
    created = scim.post(
        "/Groups",
        {
            "schemas": [GROUP_URN, BADGE_GROUP_URN],
            "displayName": "Night shift",
            BADGE_GROUP_URN: {"wing": "East", "floors": [1, 3]},
        },
    ).json
    scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Day shift"})
    path = f"/Groups/{created['id']}"

    found = scim.get("/Groups", filter=f'{BADGE_GROUP_URN}:wing eq "east"').json
    by_floor = scim.get("/Groups", filter=f"{BADGE_GROUP_URN}:floors eq 3").json
    patched = scim.patch(
        path, [{"op": "replace", "path": f"{BADGE_GROUP_URN}:wing", "value": "West"}]
    ).json
    removed = scim.patch(path, [{"op": "remove", "path": BADGE_GROUP_URN}]).json

    assert created[BADGE_GROUP_URN] == {"wing": "East", "floors": [1, 3]}
    assert created["schemas"] == [GROUP_URN, BADGE_GROUP_URN]
    assert [resource["id"] for resource in found["Resources"]] == [created["id"]]
    assert [resource["id"] for resource in by_floor["Resources"]] == [created["id"]]
    assert patched[BADGE_GROUP_URN] == {"wing": "West", "floors": [1, 3]}
    assert BADGE_GROUP_URN not in removed
    assert removed["schemas"] == [GROUP_URN]
    assert BADGE_GROUP_URN not in scim.get(path).json


def test_integers_beyond_32_bits_filter_and_sort(scim):
    # PostgreSQL's INTEGER is 32 bits wide, and SCIM integers here may use 64.
    large = scim.create_user(
        "large@example.com",
        schemas=[USER_URN, BADGE_URN],
        **{BADGE_URN: {"badgeNumber": "B-L", "clearance": 2**40}},
    )
    small = scim.create_user(
        "small@example.com",
        schemas=[USER_URN, BADGE_URN],
        **{BADGE_URN: {"badgeNumber": "B-S", "clearance": 1}},
    )

    above = scim.get("/Users", filter=f"{BADGE_URN}:clearance gt 2147483648").json
    below = scim.get("/Users", filter=f"{BADGE_URN}:clearance lt 2").json
    ordered = scim.get("/Users", sortBy=f"{BADGE_URN}:clearance", sortOrder="descending").json

    assert [resource["id"] for resource in above["Resources"]] == [large["id"]]
    assert [resource["id"] for resource in below["Resources"]] == [small["id"]]
    assert [resource["id"] for resource in ordered["Resources"]][:2] == [large["id"], small["id"]]


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**30])
def test_integer_out_of_range_gets_400(scim, number):
    user = scim.create_user("range@example.com")

    response = scim.patch(
        f"/Users/{user['id']}",
        [{"op": "add", "path": f"{BADGE_URN}:clearance", "value": number}],
        status=400,
    )

    assert_scim_error(response, 400, "invalidValue")
    assert BADGE_URN not in scim.get(f"/Users/{user['id']}").json
