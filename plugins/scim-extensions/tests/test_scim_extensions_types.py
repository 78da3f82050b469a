"""Every SCIM type in an extension, from a test-only schema file next to the example."""

from __future__ import annotations

import pytest
from scim_extensions_helpers import (
    EXAMPLE_FILE,
    INI_FILE,
    TESTS,
    USER_URN,
    ScimClient,
    assert_scim_error,
)

TYPES = "urn:example:params:scim:schemas:extension:types:2.0:User"
ZED = {
    "photo": "iVBORw0KGgo=",
    "homepage": "https://zed.example.org/",
    "ratio": 0.75,
    "tags": ["blue", "Green"],
    "scores": [3, 9],
    "onCall": ["2026-01-05T08:00:00Z", "2026-02-05T08:00:00+01:00"],
    "contract": {"number": "K-1", "ends": "2027-12-31T23:59:59Z", "signed": True},
    "employeeKey": "z-1",
}


@pytest.fixture
def client(platform):
    types_file = TESTS / "data" / "types-extension.json"
    running = platform(
        ini_file=INI_FILE,
        settings={
            "access_platform.scim_extensions.files": f"{EXAMPLE_FILE}\n{types_file}",
            "access_platform.scim_extensions.user_extensions": (
                f"urn:example:params:scim:schemas:extension:acme:2.0:User {TYPES}"
            ),
        },
    )
    return ScimClient(running.testapp, running.scim_headers())


def create(client, user_name: str, types: dict, status: int = 201):
    body = {"schemas": [USER_URN, TYPES], "userName": user_name, TYPES: types}
    return client.post("/Users", body, status=status)


@pytest.fixture
def zed(client):
    create(client, "yan@example.com", {"employeeKey": "y-1", "tags": ["red"], "ratio": 0.25})
    return create(client, "zed@example.com", ZED).json


def test_every_type_round_trips(client, zed):
    assert zed[TYPES] == ZED
    assert client.get(f"/Users/{zed['id']}").json[TYPES] == ZED


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("photo", "not base64!"),
        ("homepage", 12),
        ("ratio", "0.5"),
        ("ratio", False),
        ("tags", [1]),
        ("tags", [None]),
        ("scores", ["3"]),
        ("onCall", ["tomorrow"]),
        ("contract", "K-2"),
        ("contract", {"number": "K-2", "signed": "no"}),
    ],
)
def test_wrong_type_is_invalid_value(client, attribute, value):
    response = create(client, "x@example.com", {"employeeKey": "x", attribute: value}, status=400)

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.parametrize(
    "types",
    [{"tags": ["x"]}, {"employeeKey": "x", "contract": {"ends": "2027-01-01T00:00:00Z"}}],
)
def test_required_attributes_of_present_extension(client, types):
    response = create(client, "x@example.com", types, status=400)

    assert_scim_error(response, 400, "invalidValue")


def test_user_without_the_extension_needs_nothing(client):
    created = client.create_user("x@example.com")

    assert TYPES not in created


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        (f"{TYPES}:photo pr", ["zed"]),
        (f'{TYPES}:homepage sw "https://zed."', ["zed"]),
        (f"{TYPES}:ratio gt 0.5", ["zed"]),
        (f"{TYPES}:ratio le 0.5", ["yan"]),
        (f'{TYPES}:tags eq "green"', ["zed"]),
        (f'{TYPES}:tags co "e"', ["yan", "zed"]),
        (f"{TYPES}:tags pr", ["yan", "zed"]),
        (f"{TYPES}:scores gt 5", ["zed"]),
        (f"{TYPES}:scores eq 4", []),
        (f'{TYPES}:onCall eq "2026-02-05T07:00:00Z"', ["zed"]),
        (f'{TYPES}:onCall gt "2026-02-05T07:30:00Z"', []),
        (f"{TYPES}:contract pr", ["zed"]),
        (f'{TYPES}:contract.number eq "K-1"', ["zed"]),
        (f'{TYPES}:contract.number eq "k-1"', []),
        (f'{TYPES}:contract.ends gt "2027-06-01T00:00:00Z"', ["zed"]),
        (f"{TYPES}:contract.signed eq true", ["zed"]),
    ],
)
def test_filter_on_every_type(client, zed, filter_text, expected):
    assert client.find_users(filter_text) == [f"{name}@example.com" for name in expected]


def test_complex_compared_whole_is_invalid_filter(client, zed):
    response = client.get("/Users", filter=f'{TYPES}:contract eq "K-1"', status=400)

    assert_scim_error(response, 400, "invalidFilter")


def test_patch_complex_sub_attribute(client, zed):
    patched = client.patch(
        f"/Users/{zed['id']}",
        [
            {"op": "replace", "path": f"{TYPES}:contract.ends", "value": "2028-01-31T00:00:00Z"},
            {"op": "remove", "path": f"{TYPES}:contract.signed"},
        ],
    ).json

    assert patched[TYPES]["contract"] == {"number": "K-1", "ends": "2028-01-31T00:00:00Z"}


def test_patch_multi_valued_simple(client, zed):
    patched = client.patch(
        f"/Users/{zed['id']}",
        [
            {"op": "add", "path": f"{TYPES}:tags", "value": ["GREEN", "violet"]},
            {"op": "remove", "path": f"{TYPES}:scores", "value": [3]},
        ],
    ).json

    assert patched[TYPES]["tags"] == ["blue", "Green", "violet"]
    assert patched[TYPES]["scores"] == [9]
    assert client.find_users(f'{TYPES}:tags eq "violet"') == ["zed@example.com"]
