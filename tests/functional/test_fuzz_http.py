"""Property-based tests over HTTP: generated filters, PATCH bodies and list parameters.

Every response is a success or a 400 in the surface's error envelope,
never a 5xx. The requests reach the database under test, so values that
only a database rejects are covered too. These tests draw a quarter of
the examples of the pure parser tests, because each example is a request.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import scim_strategies as strategies
from tests.functional.scim_helpers import ERROR_URN, PATCH_URN, SCIM

EXAMPLES = max(10, settings.default.max_examples // 4)
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def send(app: Any, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    encoded = json.dumps(body).encode() if body is not None else b""
    return app.request(
        path,
        method=method,
        body=encoded,
        headers={**headers, "Content-Type": SCIM} if body is not None else headers,
        expect_errors=True,
    )


def assert_success_or_scim_400(response: Any, success: int = 200) -> None:
    assert response.status_int in (success, 400), response.body[:300]
    if response.status_int == 400:
        assert response.content_type == SCIM
        assert response.json["schemas"] == [ERROR_URN]
        assert response.json["scimType"]


@pytest.fixture
def scim_token(plugin_testapp, factory) -> dict[str, str]:
    return {"Authorization": f"Bearer {factory.scim_token()}"}


@pytest.fixture
def population(plugin_testapp, scim_token) -> dict[str, str]:
    """A user with emails and extension values, and a group containing the user."""
    user = send(
        plugin_testapp,
        "POST",
        "/scim/v2/Users",
        scim_token,
        {
            "schemas": [strategies.USER_URN, strategies.BADGE_URN],
            "userName": "bjensen@example.com",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
            strategies.BADGE_URN: {"badgeNumber": "B-1", "clearance": 2**40, "contractor": True},
        },
    ).json
    group = send(
        plugin_testapp,
        "POST",
        "/scim/v2/Groups",
        scim_token,
        {
            "schemas": [strategies.GROUP_URN],
            "displayName": "Staff",
            "members": [{"value": user["id"]}],
        },
    ).json
    return {"user": user["id"], "group": group["id"]}


@settings(max_examples=EXAMPLES)
@given(
    text=strategies.filters,
    collection=st.sampled_from(["Users", "Groups"]),
    sort_by=st.sampled_from([None, "userName", f"{strategies.BADGE_URN}:clearance", "x"]),
)
def test_filter_query_gets_200_or_400(
    plugin_testapp, scim_token, population, text, collection, sort_by
):
    params = {"filter": text}
    if sort_by is not None:
        params["sortBy"] = sort_by

    response = plugin_testapp.get(
        f"/scim/v2/{collection}?{urlencode(params)}", headers=scim_token, expect_errors=True
    )

    assert_success_or_scim_400(response)


@settings(max_examples=EXAMPLES)
@given(text=strategies.filters, collection=st.sampled_from(["Users", "Groups"]))
def test_search_filter_gets_200_or_400(plugin_testapp, scim_token, population, text, collection):
    body = {"schemas": [SEARCH_URN], "filter": text, "count": 5}

    response = send(plugin_testapp, "POST", f"/scim/v2/{collection}/.search", scim_token, body)

    assert_success_or_scim_400(response)


@settings(max_examples=EXAMPLES)
@given(
    operations=st.lists(strategies.patch_operations(), min_size=1, max_size=3),
    target=st.sampled_from(["user", "group"]),
)
def test_patch_gets_200_or_400(plugin_testapp, scim_token, population, operations, target):
    path = f"/scim/v2/{'Users' if target == 'user' else 'Groups'}/{population[target]}"
    before = send(plugin_testapp, "GET", path, scim_token).json

    response = send(
        plugin_testapp,
        "PATCH",
        path,
        scim_token,
        {"schemas": [PATCH_URN], "Operations": operations},
    )

    assert_success_or_scim_400(response)
    if response.status_int == 400:
        assert send(plugin_testapp, "GET", path, scim_token).json == before


_list_parameters = st.dictionaries(
    st.sampled_from(["limit", "cursor", "sort", "count", "q", "status", "user_name", "email"]),
    st.one_of(
        st.text(max_size=12),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(["-user_name", "created_at", "true", "eyJ4Ijp7fX0", "0", "1000"]),
    ),
)


@settings(max_examples=EXAMPLES)
@given(params=_list_parameters)
def test_user_list_parameters_get_200_or_400(testapp, admin, params):
    response = testapp.get(
        f"/api/v1/users?{urlencode(params)}", headers=admin.headers, expect_errors=True
    )

    assert response.status_int in (200, 400), response.body[:300]
    if response.status_int == 400:
        assert response.content_type == "application/problem+json"
