"""PATCH and PUT on the Acme extension attributes, and a required extension."""

from __future__ import annotations

import pytest
from scim_extensions_helpers import ACME_USER, INI_FILE, USER_URN, ScimClient, assert_scim_error

CERTIFICATIONS = [
    {"value": "CISSP", "type": "security", "level": 2},
    {"value": "German", "type": "language", "level": 1},
]


@pytest.fixture
def ann(scim):
    return scim.create_user(
        "ann@example.com",
        {
            "badgeId": "B-1",
            "clearanceLevel": 3,
            "hireDate": "2020-06-01T08:00:00Z",
            "certifications": CERTIFICATIONS,
        },
    )


def test_replace_by_path(scim, ann):
    patched = scim.patch(
        f"/Users/{ann['id']}",
        [{"op": "replace", "path": f"{ACME_USER}:clearanceLevel", "value": 4}],
    ).json

    assert patched[ACME_USER]["clearanceLevel"] == 4
    assert scim.find_users(f"{ACME_USER}:clearanceLevel eq 4") == ["ann@example.com"]


def test_add_without_path(scim, ann):
    patched = scim.patch(
        f"/Users/{ann['id']}",
        [
            {"op": "add", "value": {ACME_USER: {"remote": "True"}}},
            {"op": "add", "value": {f"{ACME_USER}:weeklyHours": 37.5}},
        ],
    ).json

    assert patched[ACME_USER]["remote"] is True
    assert patched[ACME_USER]["weeklyHours"] == 37.5
    assert patched[ACME_USER]["badgeId"] == "B-1"


def test_remove_attribute(scim, ann):
    patched = scim.patch(
        f"/Users/{ann['id']}", [{"op": "remove", "path": f"{ACME_USER}:badgeId"}]
    ).json

    assert "badgeId" not in patched[ACME_USER]
    assert scim.find_users(f"{ACME_USER}:badgeId pr") == []


def test_remove_last_attribute_drops_urn(scim):
    user = scim.create_user("ben@example.com", {"remote": False})

    patched = scim.patch(
        f"/Users/{user['id']}", [{"op": "remove", "path": f"{ACME_USER}:remote"}]
    ).json

    assert ACME_USER not in patched
    assert patched["schemas"] == [USER_URN]


def test_add_sub_attribute_by_filter(scim, ann):
    patched = scim.patch(
        f"/Users/{ann['id']}",
        [
            {
                "op": "add",
                "path": f'{ACME_USER}:certifications[type eq "security"].level',
                "value": 3,
            }
        ],
    ).json

    assert patched[ACME_USER]["certifications"] == [
        {"value": "CISSP", "type": "security", "level": 3},
        CERTIFICATIONS[1],
    ]
    assert scim.find_users(f'{ACME_USER}:certifications[type eq "security" and level eq 3]') == [
        "ann@example.com"
    ]


def test_replace_sub_attribute_by_filter(scim, ann):
    patched = scim.patch(
        f"/Users/{ann['id']}",
        [
            {
                "op": "replace",
                "path": f'{ACME_USER}:certifications[value eq "cissp"].issued',
                "value": "2022-02-02T10:00:00Z",
            }
        ],
    ).json

    assert patched[ACME_USER]["certifications"][0]["issued"] == "2022-02-02T10:00:00Z"


def test_add_value_built_from_filter(scim, ann):
    patched = scim.patch(
        f"/Users/{ann['id']}",
        [
            {
                "op": "add",
                "path": f'{ACME_USER}:certifications[type eq "safety"].value',
                "value": "First Aid",
            }
        ],
    ).json

    assert patched[ACME_USER]["certifications"][-1] == {"type": "safety", "value": "First Aid"}


def test_remove_value_by_filter(scim, ann):
    patched = scim.patch(
        f"/Users/{ann['id']}",
        [{"op": "remove", "path": f'{ACME_USER}:certifications[type eq "language"]'}],
    ).json

    assert patched[ACME_USER]["certifications"] == [CERTIFICATIONS[0]]


def test_remove_sub_attribute_from_every_value(scim, ann):
    patched = scim.patch(
        f"/Users/{ann['id']}", [{"op": "remove", "path": f"{ACME_USER}:certifications.level"}]
    ).json

    assert patched[ACME_USER]["certifications"] == [
        {"value": "CISSP", "type": "security"},
        {"value": "German", "type": "language"},
    ]


def test_remove_required_sub_attribute_rejected(scim, ann):
    response = scim.patch(
        f"/Users/{ann['id']}",
        [{"op": "remove", "path": f'{ACME_USER}:certifications[type eq "language"].value'}],
        status=400,
    )

    assert "'value'" in assert_scim_error(response, 400, "invalidValue")
    assert scim.get(f"/Users/{ann['id']}").json[ACME_USER]["certifications"] == CERTIFICATIONS


def test_add_value_without_required_sub_attribute_rejected(scim, ann):
    response = scim.patch(
        f"/Users/{ann['id']}",
        [{"op": "add", "path": f"{ACME_USER}:certifications", "value": [{"type": "safety"}]}],
        status=400,
    )

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (f"{ACME_USER}:clearanceLevel", "high"),
        (f"{ACME_USER}:remote", 1),
        (f"{ACME_USER}:hireDate", "soon"),
        (f'{ACME_USER}:certifications[type eq "security"].level', "3"),
        (f"{ACME_USER}:certifications.issued", 2024),
    ],
)
def test_patch_wrong_type_is_invalid_value(scim, ann, path, value):
    response = scim.patch(
        f"/Users/{ann['id']}", [{"op": "add", "path": path, "value": value}], status=400
    )

    assert_scim_error(response, 400, "invalidValue")


def test_patch_unknown_sub_attribute_is_invalid_path(scim, ann):
    response = scim.patch(
        f"/Users/{ann['id']}",
        [{"op": "add", "path": f"{ACME_USER}:certifications.grade", "value": "A"}],
        status=400,
    )

    assert_scim_error(response, 400, "invalidPath")


def test_immutable_attribute_keeps_its_value(scim, ann):
    response = scim.patch(
        f"/Users/{ann['id']}",
        [{"op": "replace", "path": f"{ACME_USER}:hireDate", "value": "2021-01-01T00:00:00Z"}],
        status=400,
    )

    assert_scim_error(response, 400, "mutability")


def test_put_replaces_extension(scim, ann):
    replaced = scim.put(
        f"/Users/{ann['id']}",
        {
            "schemas": [USER_URN, ACME_USER],
            "userName": "ann@example.com",
            ACME_USER: {"hireDate": "2020-06-01T08:00:00Z", "remote": True},
        },
    ).json

    assert replaced[ACME_USER] == {"hireDate": "2020-06-01T08:00:00Z", "remote": True}
    assert scim.find_users(f"{ACME_USER}:certifications pr") == []


# --- A required extension -------------------------------------------------------------------


@pytest.fixture
def strict(platform):
    """The app with the Acme User extension required."""
    running = platform(
        ini_file=INI_FILE,
        settings={"access_platform.scim_extensions.required_extensions": ACME_USER},
    )
    return running, ScimClient(running.testapp, running.scim_headers())


def test_required_extension_missing_on_post(strict):
    _running, client = strict

    response = client.post("/Users", {"schemas": [USER_URN], "userName": "x@example.com"}, 400)

    assert ACME_USER in assert_scim_error(response, 400, "invalidValue")


def test_required_extension_present_on_post(strict):
    _running, client = strict

    created = client.create_user("x@example.com", {"remote": True})

    assert created[ACME_USER] == {"remote": True}


def test_required_extension_missing_on_put(strict):
    _running, client = strict
    created = client.create_user("x@example.com", {"remote": True})

    response = client.put(
        f"/Users/{created['id']}", {"schemas": [USER_URN], "userName": "x@example.com"}, 400
    )

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": ACME_USER},
        {"op": "remove", "path": f"{ACME_USER}:remote"},
        {"op": "replace", "path": f"{ACME_USER}:remote", "value": None},
    ],
)
def test_required_extension_cannot_be_removed(strict, operation):
    _running, client = strict
    created = client.create_user("x@example.com", {"remote": True})

    response = client.patch(f"/Users/{created['id']}", [operation], status=400)

    assert_scim_error(response, 400, "invalidValue")
    assert client.get(f"/Users/{created['id']}").json[ACME_USER] == {"remote": True}


def test_user_from_before_can_still_be_patched(strict):
    running, client = strict
    # Created through the REST API, so it has never carried the extension.
    earlier = running.factory.user("earlier@example.com")

    patched = client.patch(
        f"/Users/{earlier.user_id}", [{"op": "replace", "path": "active", "value": False}]
    ).json

    assert patched["active"] is False
    assert ACME_USER not in patched
