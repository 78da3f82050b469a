"""Users with the Acme extension of the example file: create, read, type checks, filters."""

from __future__ import annotations

import pytest
from scim_extensions_helpers import ACME_USER, USER_URN, assert_scim_error

ANN = {
    "badgeId": "B-1",
    "remote": True,
    "clearanceLevel": 3,
    "weeklyHours": 40,
    "hireDate": "2020-06-01T08:00:00Z",
    "profilePage": "https://intranet.example.com/people/ann",
    "certifications": [
        {"value": "CISSP", "type": "security", "issued": "2021-04-01T00:00:00Z", "level": 2},
        {"value": "German", "type": "language", "level": 1},
    ],
}
# 09:00 at UTC+2 is 07:00 UTC: compared as text it would sort after 07:30Z.
BEN = {
    "remote": False,
    "clearanceLevel": 1,
    "weeklyHours": 20.5,
    "hireDate": "2023-03-01T09:00:00+02:00",
    "certifications": [{"value": "First Aid", "type": "safety"}],
}


@pytest.fixture
def people(scim):
    scim.create_user("ann@example.com", ANN)
    scim.create_user("ben@example.com", BEN)
    scim.create_user("cal@example.com")


def test_created_user_returns_extension(scim):
    created = scim.create_user("ann@example.com", ANN)

    fetched = scim.get(f"/Users/{created['id']}").json

    assert created[ACME_USER] == ANN
    assert fetched[ACME_USER] == ANN
    assert fetched["schemas"] == [USER_URN, ACME_USER]


def test_user_without_extension_lists_no_urn(scim):
    created = scim.create_user("cal@example.com")

    assert created["schemas"] == [USER_URN]
    assert ACME_USER not in created


def test_extension_attributes_shaped_by_attributes_parameter(scim, people):
    body = scim.get(
        "/Users", filter='userName eq "ann@example.com"', attributes=f"{ACME_USER}:badgeId"
    ).json

    assert body["Resources"][0][ACME_USER] == {"badgeId": "B-1"}
    assert "userName" not in body["Resources"][0]


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("badgeId", 1042),
        ("remote", "yes"),
        ("clearanceLevel", "3"),
        ("clearanceLevel", 2.5),
        ("clearanceLevel", True),
        ("weeklyHours", "37.5"),
        ("hireDate", "2024-05-01"),
        ("hireDate", "2024-13-01T00:00:00Z"),
        ("profilePage", 7),
        ("certifications", "CISSP"),
        ("certifications", [{"value": 5}]),
        ("certifications", [{"value": "CISSP", "level": "two"}]),
        ("certifications", [{"value": "CISSP", "issued": "last spring"}]),
    ],
)
def test_wrong_type_is_invalid_value(scim, attribute, value):
    response = scim.post(
        "/Users",
        {
            "schemas": [USER_URN, ACME_USER],
            "userName": "x@example.com",
            ACME_USER: {attribute: value},
        },
        status=400,
    )

    detail = assert_scim_error(response, 400, "invalidValue")
    assert attribute in detail


@pytest.mark.parametrize(
    "extension",
    [{"badgeColour": "red"}, {"certifications": [{"value": "CISSP", "grade": "A"}]}],
)
def test_unknown_name_is_invalid_path(scim, extension):
    response = scim.post(
        "/Users",
        {"schemas": [USER_URN, ACME_USER], "userName": "x@example.com", ACME_USER: extension},
        status=400,
    )

    assert_scim_error(response, 400, "invalidPath")


def test_required_sub_attribute_enforced(scim):
    response = scim.post(
        "/Users",
        {
            "schemas": [USER_URN, ACME_USER],
            "userName": "x@example.com",
            ACME_USER: {"certifications": [{"type": "safety"}]},
        },
        status=400,
    )

    detail = assert_scim_error(response, 400, "invalidValue")
    assert f"{ACME_USER}:certifications" in detail
    assert "'value'" in detail


def test_wrong_type_stores_nothing(scim):
    scim.post(
        "/Users",
        {"schemas": [USER_URN], "userName": "x@example.com", ACME_USER: {"remote": "yes"}},
        status=400,
    )

    assert scim.get("/Users", filter='userName eq "x@example.com"').json["totalResults"] == 0


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        (f'{ACME_USER}:badgeId eq "B-1"', ["ann"]),
        # badgeId is caseExact.
        (f'{ACME_USER}:badgeId eq "b-1"', []),
        (f'{ACME_USER.upper()}:BADGEID eq "B-1"', ["ann"]),
        (f"{ACME_USER}:badgeId pr", ["ann"]),
        (f"{ACME_USER}:remote eq true", ["ann"]),
        (f"{ACME_USER}:remote eq false", ["ben"]),
        (f"{ACME_USER}:remote ne true", ["admin", "ben", "cal"]),
        (f"not ({ACME_USER}:remote pr)", ["admin", "cal"]),
        (f"{ACME_USER}:clearanceLevel gt 1", ["ann"]),
        (f"{ACME_USER}:clearanceLevel ge 1", ["ann", "ben"]),
        (f"{ACME_USER}:clearanceLevel lt 3 and {ACME_USER}:remote eq false", ["ben"]),
        (f"{ACME_USER}:weeklyHours lt 37.5", ["ben"]),
        (f'{ACME_USER}:hireDate gt "2021-01-01T00:00:00Z"', ["ben"]),
        (f'{ACME_USER}:hireDate gt "2023-03-01T07:30:00Z"', []),
        (f'{ACME_USER}:hireDate eq "2023-03-01T07:00:00Z"', ["ben"]),
        (f'{ACME_USER}:hireDate le "2020-06-01T10:00:00+02:00"', ["ann"]),
        (f'{ACME_USER}:profilePage sw "https://intranet."', ["ann"]),
        (f"{ACME_USER}:certifications pr", ["ann", "ben"]),
        (f'{ACME_USER}:certifications[type eq "security" and level ge 2]', ["ann"]),
        (f'{ACME_USER}:certifications[type eq "safety"]', ["ben"]),
        (f'{ACME_USER}:certifications[type eq "safety" and level pr]', []),
        (f'{ACME_USER}:certifications.value eq "first aid"', ["ben"]),
        (f'{ACME_USER}:certifications eq "cissp"', ["ann"]),
        (f'{ACME_USER}:certifications.issued lt "2022-01-01T00:00:00Z"', ["ann"]),
        (f'{ACME_USER}:certifications[type eq "language"].value sw "Ger"', ["ann"]),
        (f'{ACME_USER}:certifications[type eq "safety"].value sw "Ger"', []),
        (f"{ACME_USER}:certifications.level gt 1", ["ann"]),
    ],
)
def test_filter_on_extension(scim, people, filter_text, expected):
    assert scim.find_users(filter_text) == [f"{name}@example.com" for name in expected]


@pytest.mark.parametrize(
    "filter_text",
    [
        f'{ACME_USER}:remote eq "yes"',
        f"{ACME_USER}:remote gt true",
        f'{ACME_USER}:clearanceLevel gt "2"',
        f'{ACME_USER}:hireDate gt "yesterday"',
        f'{ACME_USER}:certifications[grade eq "A"]',
        f'{ACME_USER}:badgeColour eq "red"',
    ],
)
def test_bad_extension_filter_is_invalid_filter(scim, people, filter_text):
    response = scim.get("/Users", filter=filter_text, status=400)

    assert_scim_error(response, 400, "invalidFilter")


def test_search_request_filters_on_extension(scim, people):
    body = scim.post(
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": f'{ACME_USER}:certifications[type eq "safety"]',
        },
        status=200,
    ).json

    assert [resource["userName"] for resource in body["Resources"]] == ["ben@example.com"]


def test_sort_by_extension_date_time(scim, people):
    body = scim.get(
        "/Users",
        filter=f"{ACME_USER}:hireDate pr",
        sortBy=f"{ACME_USER}:hireDate",
        sortOrder="descending",
    ).json

    assert [resource["userName"] for resource in body["Resources"]] == [
        "ben@example.com",
        "ann@example.com",
    ]
