"""Property-based tests: any filter, path or PATCH gives a result or a SCIM 400, never a crash."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from access_platform.errors import ApiError
from access_platform.scim import query
from access_platform.scim.core_schemas import ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA
from access_platform.scim.filter import (
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    Present,
    ScimFilterError,
    ValuePath,
    matches,
    parse_filter,
    parse_path,
)
from access_platform.scim.patch import PATCH_OP_URN, ResourceSchema, ScimPatchError, apply_patch
from access_platform.scim.schema import ScimAttribute, ScimSchema
from tests import scim_strategies as strategies

# The extension of the sample plugin, so that filters reach JSON attributes
# of every simple type.
BADGE_SCHEMA = ScimSchema(
    id=strategies.BADGE_URN,
    name="Badge",
    description="Building access badges.",
    resource_type="User",
    extension=True,
    attributes=(
        ScimAttribute("badgeNumber", case_exact=True),
        ScimAttribute("clearance", type="integer"),
        ScimAttribute("contractor", type="boolean"),
        ScimAttribute("validUntil", type="dateTime"),
    ),
)
USERS = ResourceSchema(USER_SCHEMA, (ENTERPRISE_USER_SCHEMA, BADGE_SCHEMA))
GROUPS = ResourceSchema(GROUP_SCHEMA)
LIMITS = query.ListLimits(max_count=1000, max_filter_length=4096)

USER = {
    "schemas": [strategies.USER_URN, strategies.BADGE_URN],
    "id": "4b7a6c1e-0000-4000-8000-000000000001",
    "userName": "bjensen@example.com",
    "active": True,
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
    "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
    strategies.BADGE_URN: {"clearance": 3, "contractor": False},
}
GROUP = {
    "schemas": [strategies.GROUP_URN],
    "id": "4b7a6c1e-0000-4000-8000-000000000002",
    "displayName": "Staff",
    "members": [{"value": USER["id"], "type": "User"}],
    "meta": {"resourceType": "Group"},
}

FILTER_ERROR_TYPES = {"invalidFilter", "invalidValue"}
PATCH_ERROR_TYPES = {"invalidSyntax", "invalidPath", "invalidValue", "noTarget", "mutability"}
EXPRESSION_TYPES = (Compare, Present, And, Or, Not, ValuePath)


def insensitive(path: AttrPath) -> bool:
    return False


def assert_filter_rejection(error: ApiError) -> None:
    assert error.status == 400
    assert error.scim_type in FILTER_ERROR_TYPES
    assert error.detail


# --- Filters -------------------------------------------------------------------------------


@given(strategies.filters)
def test_filter_parses_or_raises_filter_error(text):
    try:
        expression = parse_filter(text)
    except ScimFilterError as error:
        assert str(error)
        return

    assert isinstance(expression, EXPRESSION_TYPES)


@given(strategies.filters)
def test_parsed_filter_evaluates_or_raises_filter_error(text):
    try:
        expression = parse_filter(text)
    except ScimFilterError:
        return

    for resource in (USER, GROUP):
        try:
            assert matches(expression, resource, insensitive) in (True, False)
        except ScimFilterError as error:
            assert str(error)


@pytest.mark.parametrize(
    ("compiler", "model"),
    [
        (query.USER_FILTERS.with_schema(USERS), query.User),
        (query.GROUP_FILTERS, query.Group),
    ],
    ids=["users", "groups"],
)
@given(text=strategies.filters)
def test_filter_compiles_to_sql_or_gets_400(compiler, model, text):
    try:
        parameters = query.list_parameters(
            {"filter": text}, compiler, query.USER_SORT, model.id, LIMITS
        )
    except ApiError as error:
        assert_filter_rejection(error)
        return

    statement = select(model.id).where(parameters.condition)
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        assert str(statement.compile(dialect=dialect))


# Attribute names, operators and literals that always fit together, so a
# filter built only from them must parse.
_valid_names = st.sampled_from(
    ["userName", "name.givenName", "emails.value", f"{strategies.ENTERPRISE_URN}:department"]
)
_strings = st.text(max_size=6).map(json.dumps)
_valid_terms = st.one_of(
    st.builds("{} {} {}".format, _valid_names, st.sampled_from(["co", "sw", "ew"]), _strings),
    st.builds(
        "{} {} {}".format,
        _valid_names,
        st.sampled_from(["eq", "ne"]),
        st.one_of(_strings, st.sampled_from(["true", "false", "null", "42", "-1.5"])),
    ),
    st.builds(
        "{} {} {}".format,
        _valid_names,
        st.sampled_from(["gt", "ge", "lt", "le"]),
        st.one_of(_strings, st.integers().map(str)),
    ),
    _valid_names.map("{} pr".format),
)
valid_filters = st.recursive(
    st.one_of(
        _valid_terms,
        st.builds("emails[{}]".format, _valid_terms),
        st.builds('emails[{}].value eq "x"'.format, _valid_terms),
    ),
    lambda inner: st.one_of(
        st.builds("{} and {}".format, inner, inner),
        st.builds("{} or {}".format, inner, inner),
        inner.map("not ({})".format),
        inner.map("({})".format),
    ),
    max_leaves=8,
)


@given(valid_filters)
def test_valid_filter_always_parses(text):
    assert isinstance(parse_filter(text), EXPRESSION_TYPES)


# --- List parameters -----------------------------------------------------------------------

_parameter_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.text(max_size=12),
    st.lists(st.text(max_size=6), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    strategies.filters,
)
search_requests = st.dictionaries(
    st.sampled_from(
        [
            "filter",
            "startIndex",
            "count",
            "sortBy",
            "sortOrder",
            "attributes",
            "excludedAttributes",
        ]
    ),
    _parameter_values,
)


@given(search_requests)
def test_search_request_parses_or_gets_400(params):
    compiler = query.USER_FILTERS.with_schema(USERS)
    try:
        parameters = query.list_parameters(params, compiler, query.USER_SORT, query.User.id, LIMITS)
    except ApiError as error:
        assert error.status == 400
        assert error.scim_type in FILTER_ERROR_TYPES
        return

    assert parameters.start_index >= 1
    assert 0 <= parameters.count <= LIMITS.max_count


# --- PATCH paths and operations ------------------------------------------------------------


@given(strategies.paths)
def test_path_parses_or_raises_filter_error(text):
    try:
        path = parse_path(text)
    except ScimFilterError as error:
        assert str(error)
        return

    assert isinstance(path, AttrPath)


@given(strategies.paths)
def test_path_resolves_or_gets_invalid_path(text):
    for schema in (USERS, GROUPS):
        try:
            schema.resolve_text(text)
        except ScimPatchError as error:
            assert error.scim_type == "invalidPath"
            assert error.detail


@given(
    st.lists(strategies.patch_operations(), min_size=1, max_size=3),
    st.sampled_from(["user", "group"]),
)
def test_patch_applies_or_gets_scim_error(operations, kind):
    resource, schema = (USER, USERS) if kind == "user" else (GROUP, GROUPS)
    original = copy.deepcopy(resource)
    body = {"schemas": [PATCH_OP_URN], "Operations": operations}

    try:
        patched = apply_patch(resource, body, schema)
    except ScimPatchError as error:
        assert error.scim_type in PATCH_ERROR_TYPES
        assert error.detail
    else:
        # The result must be storable: standard JSON, without NaN or infinity.
        json.dumps(patched, allow_nan=False)

    assert resource == original
