"""Groups with the Acme Group extension of the example file."""

from __future__ import annotations

import pytest
from scim_extensions_helpers import (
    ACME_GROUP,
    ACME_USER,
    GROUP_URN,
    INI_FILE,
    ScimClient,
    assert_scim_error,
)


def create_group(scim, display_name: str, acme: dict | None = None) -> dict:
    body: dict = {"schemas": [GROUP_URN], "displayName": display_name}
    if acme is not None:
        body["schemas"].append(ACME_GROUP)
        body[ACME_GROUP] = acme
    return scim.post("/Groups", body).json


def find_groups(scim, filter_text: str) -> list[str]:
    body = scim.get("/Groups", filter=filter_text).json
    return sorted(resource["displayName"] for resource in body["Resources"])


@pytest.fixture
def teams(scim):
    vault = create_group(scim, "Vault", {"costCenter": "CC-1", "restricted": True})
    lobby = create_group(scim, "Lobby", {"costCenter": "CC-2", "restricted": False})
    create_group(scim, "Plain")
    return vault, lobby


def test_created_group_returns_extension(scim, teams):
    vault, _lobby = teams

    fetched = scim.get(f"/Groups/{vault['id']}").json

    assert vault[ACME_GROUP] == {"costCenter": "CC-1", "restricted": True}
    assert fetched[ACME_GROUP] == {"costCenter": "CC-1", "restricted": True}
    assert fetched["schemas"] == [GROUP_URN, ACME_GROUP]


def test_group_rejects_user_extension(scim):
    response = scim.post(
        "/Groups",
        {"schemas": [GROUP_URN], "displayName": "Wrong", ACME_USER: {"remote": True}},
        status=400,
    )

    assert_scim_error(response, 400, "invalidPath")


def test_group_wrong_type_is_invalid_value(scim):
    response = scim.post(
        "/Groups",
        {"schemas": [GROUP_URN], "displayName": "Wrong", ACME_GROUP: {"restricted": "maybe"}},
        status=400,
    )

    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        (f'{ACME_GROUP}:costCenter eq "cc-1"', ["Vault"]),
        (f"{ACME_GROUP}:restricted eq true", ["Vault"]),
        (f"{ACME_GROUP}:restricted eq false", ["Lobby"]),
        (f"{ACME_GROUP}:costCenter pr", ["Lobby", "Vault"]),
        (f'{ACME_GROUP}:costCenter sw "CC" and displayName eq "lobby"', ["Lobby"]),
    ],
)
def test_filter_groups_on_extension(scim, teams, filter_text, expected):
    assert find_groups(scim, filter_text) == expected


def test_patch_group_extension(scim, teams):
    vault, _lobby = teams

    patched = scim.patch(
        f"/Groups/{vault['id']}",
        [
            {"op": "replace", "path": f"{ACME_GROUP}:costCenter", "value": "CC-9"},
            {"op": "remove", "path": f"{ACME_GROUP}:restricted"},
        ],
    ).json

    assert patched[ACME_GROUP] == {"costCenter": "CC-9"}
    assert patched["meta"]["version"] != vault["meta"]["version"]
    assert find_groups(scim, f'{ACME_GROUP}:costCenter eq "CC-9"') == ["Vault"]


def test_put_group_keeps_members_and_extension(scim, teams):
    vault, _lobby = teams
    member = scim.create_user("ann@example.com")

    replaced = scim.put(
        f"/Groups/{vault['id']}",
        {
            "schemas": [GROUP_URN, ACME_GROUP],
            "displayName": "Vault",
            "members": [{"value": member["id"]}],
            ACME_GROUP: {"costCenter": "CC-3"},
        },
    ).json

    assert replaced[ACME_GROUP] == {"costCenter": "CC-3"}
    assert [item["value"] for item in replaced["members"]] == [member["id"]]


def test_put_group_unchanged_keeps_version(scim, teams):
    vault, _lobby = teams
    body = {
        "schemas": [GROUP_URN, ACME_GROUP],
        "displayName": "Vault",
        ACME_GROUP: {"costCenter": "CC-1", "restricted": True},
    }

    replaced = scim.put(f"/Groups/{vault['id']}", body).json

    assert replaced["meta"]["version"] == vault["meta"]["version"]


def test_required_group_extension(platform):
    running = platform(
        ini_file=INI_FILE,
        settings={"access_platform.scim_extensions.required_extensions": ACME_GROUP},
    )
    client = ScimClient(running.testapp, running.scim_headers())

    missing = client.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Bare"}, status=400)
    created = create_group(client, "Dressed", {"costCenter": "CC-1"})
    # Users are not affected by a required Group extension.
    user = client.create_user("ann@example.com")

    assert ACME_GROUP in assert_scim_error(missing, 400, "invalidValue")
    assert created[ACME_GROUP] == {"costCenter": "CC-1"}
    assert ACME_USER not in user
