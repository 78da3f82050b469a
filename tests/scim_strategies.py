"""Hypothesis strategies for SCIM filters, PATCH paths and PATCH values.

Random text alone rarely gets past the tokenizer, so most strategies build
filters from the grammar of RFC 7644 section 3.4.2.2 and then damage some
of them, which reaches the parser's and the SQL compiler's deeper paths.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BADGE_URN = "urn:example:params:scim:schemas:extension:badge:2.0:User"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"

# Names that filters and paths can reach: core, common and extension
# attributes, sub-attributes, names of the wrong type and unknown names.
ATTRIBUTE_NAMES = [
    "userName",
    "displayName",
    "externalId",
    "id",
    "active",
    "title",
    "nickName",
    "password",
    "name",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "emails.display",
    "emails.$ref",
    "phoneNumbers.value",
    "addresses.country",
    "groups.value",
    "members",
    "members.value",
    "members.display",
    "members.type",
    "members.$ref",
    "meta.created",
    "meta.lastModified",
    "meta.version",
    "meta.resourceType",
    "schemas",
    "unknownName",
    f"{USER_URN}:userName",
    f"{USER_URN}:name.givenName",
    f"{GROUP_URN}:displayName",
    f"{ENTERPRISE_URN}:employeeNumber",
    f"{ENTERPRISE_URN}:manager",
    f"{ENTERPRISE_URN}:manager.value",
    f"{ENTERPRISE_URN}:department",
    f"{BADGE_URN}:badgeNumber",
    f"{BADGE_URN}:clearance",
    f"{BADGE_URN}:contractor",
    f"{BADGE_URN}:validUntil",
    "urn:example:unknown:2.0:User:title",
]
MULTI_VALUED_NAMES = ["emails", "members", "phoneNumbers", "addresses", "groups", "name", "title"]
SUB_ATTRIBUTE_NAMES = ["value", "type", "primary", "display", "$ref", "country", "unknown"]
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Sw"]

# Literals of every kind, including values at and past the edges of what
# the database columns and the filter compiler accept.
LITERALS = [
    '"x"',
    '""',
    '"bjensen@example.com"',
    '"work"',
    '"%"',
    '"_"',
    '"\\\\"',
    '"\\u00e9"',
    '"\\u0130"',
    '"\\u00df"',
    '"\\u0000"',
    '"\\ud800"',
    '"2024-01-01T00:00:00Z"',
    '"0001-01-01T00:00:00+05:00"',
    '"9999-12-31T23:59:59-05:00"',
    '"2024-13-01T00:00:00Z"',
    '"2024-01-01"',
    "true",
    "FALSE",
    "null",
    "0",
    "-0",
    "1",
    "1.0",
    "-1.5e3",
    "1e308",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999",
]

# Pieces that the damaging step inserts.
FRAGMENTS = ["(", ")", "[", "]", '"', " ", ".", ":", "and", "or", "not", "pr", "eq", "\\", "urn:"]

literals = st.one_of(
    st.sampled_from(LITERALS),
    st.text(max_size=4).map(json.dumps),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


def _terms(names: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("{} {} {}".format, st.sampled_from(names), st.sampled_from(OPERATORS), literals),
        st.sampled_from(names).map("{} pr".format),
    )


def _logical(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("{} {} {}".format, inner, st.sampled_from(["and", "or", "AND", "Or"]), inner),
        inner.map("not ({})".format),
        inner.map("({})".format),
    )


# A filter without brackets, as the inside of a bracket must be.
_bracket_free = st.recursive(_terms(ATTRIBUTE_NAMES + SUB_ATTRIBUTE_NAMES), _logical, max_leaves=4)

_value_paths = st.one_of(
    st.builds("{}[{}]".format, st.sampled_from(MULTI_VALUED_NAMES), _bracket_free),
    st.builds(
        "{}[{}].{} {}".format,
        st.sampled_from(MULTI_VALUED_NAMES),
        _bracket_free,
        st.sampled_from(SUB_ATTRIBUTE_NAMES),
        st.one_of(st.just("pr"), st.builds("{} {}".format, st.sampled_from(OPERATORS), literals)),
    ),
)

# Filters that follow the grammar. Some still fail to parse: a string
# literal may contain escapes that JSON rejects, and the operator may not
# fit the literal. Others parse but name attributes the server cannot filter.
grammar_filters = st.recursive(
    st.one_of(_terms(ATTRIBUTE_NAMES), _value_paths), _logical, max_leaves=6
)


@st.composite
def damaged(draw: st.DrawFn, source: st.SearchStrategy[str]) -> str:
    """Draw from ``source``, then insert or delete a few characters or grammar fragments."""
    text = draw(source)
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "fragment"]))
        if action == "insert":
            text = text[:position] + draw(st.text(min_size=1, max_size=2)) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + draw(st.sampled_from(FRAGMENTS)) + text[position:]
    return text


filters = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(FRAGMENTS + LITERALS[:6] + ATTRIBUTE_NAMES[:6]), max_size=12).map(
        " ".join
    ),
    grammar_filters,
    damaged(grammar_filters),
)

# PATCH paths: plain and bracketed attribute paths, damaged ones and any text.
_grammar_paths = st.one_of(
    st.sampled_from(ATTRIBUTE_NAMES),
    st.builds("{}[{}]".format, st.sampled_from(MULTI_VALUED_NAMES), _bracket_free),
    st.builds(
        "{}[{}].{}".format,
        st.sampled_from(MULTI_VALUED_NAMES),
        _bracket_free,
        st.sampled_from(SUB_ATTRIBUTE_NAMES),
    ),
)
paths = st.one_of(st.text(max_size=40), _grammar_paths, damaged(_grammar_paths))

_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["True", "2024-01-01T00:00:00Z", "bjensen@example.com", "work"]),
)
_keys = st.sampled_from(
    [
        "value",
        "type",
        "primary",
        "display",
        "$ref",
        "givenName",
        "familyName",
        "displayName",
        "userName",
        "active",
        "emails",
        "members",
        "employeeNumber",
        "clearance",
        ENTERPRISE_URN,
        BADGE_URN,
        f"{BADGE_URN}:clearance",
        "name.givenName",
    ]
)
# JSON values of the shapes PATCH bodies carry: scalars, lists and objects.
values = st.recursive(
    _leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def patch_operations(draw: st.DrawFn) -> dict[str, Any]:
    """Draw one PATCH operation, with or without a path and a value."""
    operation: dict[str, Any] = {"op": draw(st.sampled_from(["add", "remove", "replace", "Add"]))}
    if draw(st.booleans()):
        operation["path"] = draw(paths)
    if draw(st.booleans()) or operation["op"] != "remove":
        operation["value"] = draw(values)
    return operation
