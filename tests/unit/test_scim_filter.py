"""SCIM filter and PATCH path parsing, and in-memory filter evaluation."""

from __future__ import annotations

import dataclasses
import random

import pytest

from access_platform.scim.filter import (
    MAX_LOGICAL_OPERATORS,
    MAX_NESTING_DEPTH,
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

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def attr(name, sub=None, uri=None, value_filter=None):
    return AttrPath(uri, name, sub, value_filter)


def present(name):
    return Present(attr(name))


def eq(name, value):
    return Compare(attr(name), "eq", value)


def insensitive(path):
    return False


def sensitive(path):
    return True


# --- Operators and names ---------------------------------------------------------------


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
def test_compare_operator(op):
    assert parse_filter(f'userName {op} "bjensen"') == Compare(attr("userName"), op, "bjensen")


def test_present_operator():
    assert parse_filter("title pr") == Present(attr("title"))


@pytest.mark.parametrize("text", ['userName EQ "x"', 'userName Eq "x"', 'userName eQ "x"'])
def test_operator_case_insensitive(text):
    assert parse_filter(text).op == "eq"


def test_present_operator_case_insensitive():
    assert parse_filter("title PR") == Present(attr("title"))


def test_attribute_name_kept_as_written():
    parsed = parse_filter('USERNAME eq "x"')

    assert parsed.path.attr == "USERNAME"


def test_logical_words_case_insensitive():
    parsed = parse_filter("a pr AND b pr OR NoT (c pr)")

    assert parsed == Or(And(present("a"), present("b")), Not(present("c")))


# --- Precedence, parentheses and not ---------------------------------------------------


def test_and_binds_tighter_than_or():
    parsed = parse_filter("a pr or b pr and c pr")

    assert parsed == Or(present("a"), And(present("b"), present("c")))


def test_and_before_or_on_left():
    parsed = parse_filter("a pr and b pr or c pr")

    assert parsed == Or(And(present("a"), present("b")), present("c"))


def test_not_binds_tighter_than_and():
    parsed = parse_filter("not (a pr) and b pr")

    assert parsed == And(Not(present("a")), present("b"))


def test_and_groups_from_left():
    parsed = parse_filter("a pr and b pr and c pr")

    assert parsed == And(And(present("a"), present("b")), present("c"))


def test_or_groups_from_left():
    parsed = parse_filter("a pr or b pr or c pr")

    assert parsed == Or(Or(present("a"), present("b")), present("c"))


def test_parentheses_override_precedence():
    parsed = parse_filter("(a pr or b pr) and c pr")

    assert parsed == And(Or(present("a"), present("b")), present("c"))


def test_redundant_parentheses():
    assert parse_filter("((a pr))") == present("a")


def test_not_wraps_group():
    parsed = parse_filter('not (a eq "b" or c pr)')

    assert parsed == Not(Or(eq("a", "b"), present("c")))


def test_not_without_space():
    assert parse_filter("not(a pr)") == Not(present("a"))


def test_double_not():
    assert parse_filter("not (not (a pr))") == Not(Not(present("a")))


def test_rfc_example_with_not():
    parsed = parse_filter(
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")'
    )

    expected = And(
        Compare(attr("userType"), "ne", "Employee"),
        Not(
            Or(
                Compare(attr("emails"), "co", "example.com"),
                Compare(attr("emails", "value"), "co", "example.org"),
            )
        ),
    )
    assert parsed == expected


def test_not_requires_parentheses():
    with pytest.raises(ScimFilterError, match=r'Expected "\(" after "not" at position 5'):
        parse_filter('not a eq "b"')


# --- Values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"bjensen"', "bjensen"),
        ('""', ""),
        (r'"a\"b"', 'a"b'),
        (r'"back\\slash"', "back\\slash"),
        (r'"\u00e9"', "\u00e9"),
        (r'"line\nbreak"', "line\nbreak"),
        (r'"\/"', "/"),
        ('"caf\u00e9 \u4e2d"', "caf\u00e9 \u4e2d"),
        ('"a and b or not (c)"', "a and b or not (c)"),
        ('"[x]"', "[x]"),
        ("true", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("null", None),
        ("NULL", None),
        ("0", 0),
        ("42", 42),
        ("-1", -1),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
    ],
)
def test_value_literal(literal, value):
    parsed = parse_filter(f"x eq {literal}")

    assert parsed.value == value
    assert type(parsed.value) is type(value)


def test_string_next_to_operator_without_space():
    assert parse_filter('a eq"b"') == eq("a", "b")


@pytest.mark.parametrize("literal", ["bjensen", "'x'", "01", "1.", ".5", "+1", "1e", "tru", "0x10"])
def test_invalid_value_rejected(literal):
    with pytest.raises(ScimFilterError, match=r'Expected a value .* after "eq" at position 6'):
        parse_filter(f"a eq {literal}")


def test_missing_value_rejected():
    with pytest.raises(ScimFilterError, match="found the end of the filter"):
        parse_filter("a eq")


def test_pr_takes_no_value():
    with pytest.raises(ScimFilterError, match=r'Expected "and", "or" or the end of the filter'):
        parse_filter('a pr "x"')


def test_number_out_of_range():
    with pytest.raises(ScimFilterError, match="out of range at position 6"):
        parse_filter("a eq 1e999")


def test_very_long_integer_rejected():
    with pytest.raises(ScimFilterError, match="out of range"):
        parse_filter("a eq " + "9" * 6000, max_length=10_000)


@pytest.mark.parametrize("op", ["gt", "ge", "lt", "le", "co", "sw", "ew"])
@pytest.mark.parametrize("literal", ["true", "false", "null"])
def test_boolean_or_null_only_with_eq_ne(op, literal):
    with pytest.raises(ScimFilterError, match=f'Operator "{op}"'):
        parse_filter(f"active {op} {literal}")


@pytest.mark.parametrize("literal", ["true", "false", "null"])
def test_boolean_or_null_with_ne(literal):
    assert parse_filter(f"active ne {literal}").op == "ne"


@pytest.mark.parametrize("op", ["co", "sw", "ew"])
def test_substring_operator_needs_string(op):
    with pytest.raises(ScimFilterError, match="needs a quoted string"):
        parse_filter(f"age {op} 5")


def test_unterminated_string():
    with pytest.raises(ScimFilterError, match="Unterminated string starting at position 6"):
        parse_filter('a eq "bjensen')


def test_string_ending_in_backslash_unterminated():
    with pytest.raises(ScimFilterError, match="Unterminated string"):
        parse_filter('a eq "x\\"')


@pytest.mark.parametrize("literal", [r'"\q"', r'"\u12"', '"tab\there"', r'"\x41"'])
def test_invalid_string_escape(literal):
    with pytest.raises(ScimFilterError, match="Invalid string at position 6"):
        parse_filter(f"a eq {literal}")


# --- Attribute paths -------------------------------------------------------------------


def test_sub_attribute():
    parsed = parse_filter('name.familyName co "O\'Malley"')

    assert parsed == Compare(attr("name", "familyName"), "co", "O'Malley")


def test_ref_sub_attribute():
    parsed = parse_filter('members.$ref eq "https://example.com/Users/1"')

    assert parsed.path == attr("members", "$ref")


def test_name_with_digits_dash_underscore():
    assert parse_filter("x-attr_2 pr") == present("x-attr_2")


def test_urn_attribute():
    parsed = parse_filter(f'{ENTERPRISE}:employeeNumber eq "701984"')

    assert parsed == Compare(attr("employeeNumber", uri=ENTERPRISE), "eq", "701984")


def test_urn_attribute_with_sub_attribute():
    parsed = parse_filter(f'{ENTERPRISE}:manager.value eq "26118915"')

    assert parsed.path == attr("manager", "value", ENTERPRISE)


def test_core_urn_attribute():
    parsed = parse_filter(f'{CORE_USER}:userName sw "J"')

    assert parsed.path == attr("userName", uri=CORE_USER)


def test_urn_prefix_case_insensitive():
    parsed = parse_filter("URN:Example:Ext:1.0:tag pr")

    assert parsed.path == attr("tag", uri="URN:Example:Ext:1.0")


@pytest.mark.parametrize(
    "name",
    [
        "1abc",
        "_a",
        "-a",
        "a.b.c",
        "a..b",
        "a.",
        ".a",
        "a$",
        "$other",
        "\u00e9t\u00e9",
        "foo:bar",
        "urn::a",
        "urn:x:",
    ],
)
def test_invalid_attribute_path(name):
    with pytest.raises(ScimFilterError, match="Invalid attribute path .* at position 1"):
        parse_filter(f"{name} pr")


# --- Complex attribute filters ---------------------------------------------------------


def test_value_path_filter():
    parsed = parse_filter('emails[type eq "work" and value co "@example.com"]')

    inner = And(eq("type", "work"), Compare(attr("value"), "co", "@example.com"))
    assert parsed == ValuePath(attr("emails"), inner)


def test_value_path_with_spaces_inside():
    parsed = parse_filter('emails[  type eq "work"  ]')

    assert parsed == ValuePath(attr("emails"), eq("type", "work"))


def test_value_path_with_not_and_parentheses():
    parsed = parse_filter('emails[not (type eq "work") or (primary eq true)]')

    inner = Or(Not(eq("type", "work")), eq("primary", True))
    assert parsed == ValuePath(attr("emails"), inner)


def test_value_path_combined_with_others():
    parsed = parse_filter('userType eq "Employee" and emails[type eq "work"] or title pr')

    expected = Or(
        And(eq("userType", "Employee"), ValuePath(attr("emails"), eq("type", "work"))),
        present("title"),
    )
    assert parsed == expected


def test_value_path_with_urn():
    parsed = parse_filter(f'{ENTERPRISE}:manager[value eq "1"]')

    assert parsed == ValuePath(attr("manager", uri=ENTERPRISE), eq("value", "1"))


def test_bracket_then_sub_attribute_compare():
    parsed = parse_filter('emails[type eq "work"].value eq "x"')

    path = attr("emails", "value", value_filter=eq("type", "work"))
    assert parsed == Compare(path, "eq", "x")


def test_bracket_then_sub_attribute_present():
    parsed = parse_filter('emails[type eq "work"].value pr')

    assert parsed == Present(attr("emails", "value", value_filter=eq("type", "work")))


def test_bracket_then_sub_attribute_needs_operator():
    with pytest.raises(ScimFilterError, match=r'Expected an operator .* after "\.value"'):
        parse_filter('emails[type eq "work"].value')


def test_bracket_then_invalid_sub_attribute():
    with pytest.raises(ScimFilterError, match="Invalid attribute path"):
        parse_filter('emails[type eq "work"].1x eq "a"')


def test_nested_brackets_rejected():
    with pytest.raises(ScimFilterError, match="Nested brackets at position 12"):
        parse_filter('emails[type[value eq "x"]]')


def test_brackets_after_sub_attribute_rejected():
    with pytest.raises(ScimFilterError, match=r'Unexpected "\[" after the sub-attribute'):
        parse_filter('name.givenName[value eq "x"]')


def test_space_before_bracket_rejected():
    with pytest.raises(ScimFilterError, match=r'Remove the whitespace before "\[" at position 8'):
        parse_filter('emails [type eq "work"]')


def test_space_before_bracket_sub_attribute_rejected():
    with pytest.raises(ScimFilterError, match=r'whitespace before "\.value" at position 24'):
        parse_filter('emails[type eq "work"] .value eq "x"')


def test_unclosed_bracket():
    with pytest.raises(ScimFilterError, match=r'Expected "\]", "and" or "or"'):
        parse_filter('emails[type eq "work"')


def test_empty_brackets():
    with pytest.raises(ScimFilterError, match="Expected an attribute name"):
        parse_filter("emails[]")


# --- Whitespace and errors -------------------------------------------------------------


def test_extra_whitespace_tolerated():
    parsed = parse_filter('  ( a   eq\t"b" )   and  not  ( c pr )  ')

    assert parsed == And(eq("a", "b"), Not(present("c")))


def test_empty_filter():
    with pytest.raises(ScimFilterError, match="Filter is empty"):
        parse_filter("")


def test_whitespace_only_filter():
    with pytest.raises(ScimFilterError, match="Filter is empty"):
        parse_filter("   ")


def test_filter_longer_than_max_length():
    with pytest.raises(ScimFilterError, match="more than the maximum of 10"):
        parse_filter('userName eq "bjensen"', max_length=10)


def test_filter_at_max_length():
    text = 'userName eq "bjensen"'

    assert parse_filter(text, max_length=len(text)) == eq("userName", "bjensen")


def test_default_max_length():
    with pytest.raises(ScimFilterError, match="maximum of 4096"):
        parse_filter("a pr or " * 600 + "a pr")


def test_missing_operator_names_position():
    with pytest.raises(ScimFilterError, match=r'operator .* after "userName" at position 9'):
        parse_filter("userName")


def test_unknown_operator_names_token():
    with pytest.raises(ScimFilterError, match=r'at position 10, found "is"'):
        parse_filter('userName is "x"')


def test_missing_logical_operator():
    with pytest.raises(ScimFilterError, match=r'Expected "and", "or" .* at position 10'):
        parse_filter('a eq "x" b eq "y"')


def test_trailing_and():
    with pytest.raises(ScimFilterError, match=r'after "and" at position 9, found the end'):
        parse_filter("a pr and")


def test_unclosed_parenthesis():
    with pytest.raises(ScimFilterError, match=r'Expected "\)", "and" or "or"'):
        parse_filter("(a pr")


def test_unopened_parenthesis():
    with pytest.raises(ScimFilterError, match=r'found "\)"'):
        parse_filter("a pr)")


def test_long_token_shortened_in_message():
    message = ""
    try:
        parse_filter("a pr " + "x" * 200)
    except ScimFilterError as error:
        message = str(error)

    assert "x" * 37 + "..." in message
    assert "x" * 41 not in message


def test_nesting_at_limit_parses():
    depth = MAX_NESTING_DEPTH
    parsed = parse_filter("(" * depth + "a pr" + ")" * depth)

    assert parsed == present("a")


def test_nesting_beyond_limit_rejected():
    depth = MAX_NESTING_DEPTH + 1
    with pytest.raises(ScimFilterError, match="nested more than"):
        parse_filter("(" * depth + "a pr" + ")" * depth)


def test_deep_parentheses_raise_filter_error():
    with pytest.raises(ScimFilterError, match="nested more than"):
        parse_filter("(" * 100_000, max_length=100_000)


def test_logical_operators_at_limit_parse():
    text = " and ".join(["a pr"] * (MAX_LOGICAL_OPERATORS + 1))

    assert isinstance(parse_filter(text, max_length=100_000), And)


def test_logical_operators_beyond_limit_rejected():
    text = " or ".join(["a pr"] * (MAX_LOGICAL_OPERATORS + 2))
    with pytest.raises(ScimFilterError, match="more than 200"):
        parse_filter(text, max_length=100_000)


def test_error_is_value_error():
    assert issubclass(ScimFilterError, ValueError)


def test_nodes_are_frozen():
    parsed = parse_filter("a pr")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.path = attr("b")


# --- PATCH paths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("members", attr("members")),
        ("name.familyName", attr("name", "familyName")),
        ("NAME.FAMILYNAME", attr("NAME", "FAMILYNAME")),
        ("members.$ref", attr("members", "$ref")),
        ('emails[type eq "work"].value', attr("emails", "value", value_filter=eq("type", "work"))),
        ('members[value eq "2819c223"]', attr("members", value_filter=eq("value", "2819c223"))),
        (
            'emails[ type eq "work" and primary eq true ]',
            attr("emails", value_filter=And(eq("type", "work"), eq("primary", True))),
        ),
        (f"{ENTERPRISE}:employeeNumber", attr("employeeNumber", uri=ENTERPRISE)),
        (f"{CORE_USER}:name.givenName", attr("name", "givenName", CORE_USER)),
        (
            f'{ENTERPRISE}:manager[value eq "1"]',
            attr("manager", None, ENTERPRISE, eq("value", "1")),
        ),
    ],
)
def test_parse_path(text, expected):
    assert parse_path(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        " members",
        "members ",
        "na me",
        "name.",
        "name..familyName",
        "name.familyName.x",
        ".name",
        "1name",
        'emails[type eq "work"',
        "emails]",
        'emails[type eq "work"]]',
        'emails[type eq "work"].',
        'emails[type eq "work"].value.x',
        'emails[type eq "work"] .value',
        'emails [type eq "work"]',
        'emails[type[value eq "x"]]',
        'emails.value[type eq "work"]',
        "emails[]",
        'emails[type eq "work"]x',
        "(members)",
        'userName eq "x"',
        "members pr",
        'emails["work"]',
        "foo:bar",
        'emails[type eq "work"][value pr]',
    ],
)
def test_parse_path_rejects(text):
    with pytest.raises(ScimFilterError):
        parse_path(text)


def test_parse_path_empty_message():
    with pytest.raises(ScimFilterError, match="Path is empty"):
        parse_path("")


def test_parse_path_error_names_path():
    with pytest.raises(ScimFilterError, match="found the end of the path"):
        parse_path('members[value eq "1"')


def test_parse_path_too_long():
    with pytest.raises(ScimFilterError, match="more than the maximum"):
        parse_path("a" * 5000)


# --- Evaluation ------------------------------------------------------------------------

EMAIL = {"type": "work", "value": "A@Example.com", "primary": True}

USER = {
    "userName": "BJensen",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "emails": [
        {"type": "work", "value": "bjensen@example.com", "primary": True},
        {"type": "home", "value": "babs@jensen.org"},
    ],
    "active": True,
    "loginCount": 7,
    "score": 2.5,
    "meta": {"created": "2024-03-01T10:00:00Z", "lastModified": "2024-03-02T08:30:00+02:00"},
    "title": "",
    "nickName": None,
    "roles": [],
    "x509Certificates": {},
    ENTERPRISE: {"employeeNumber": "701984", "manager": {"value": "26118915"}},
}


def check(text, element=USER, case_exact=insensitive):
    return matches(parse_filter(text), element, case_exact)


def test_matches_eq_case_insensitive():
    assert check('value eq "a@example.COM"', EMAIL) is True


def test_matches_eq_case_exact():
    assert check('value eq "a@example.COM"', EMAIL, sensitive) is False


def test_matches_eq_case_exact_same_case():
    assert check('value eq "A@Example.com"', EMAIL, sensitive) is True


def test_matches_ne():
    assert check('type ne "home"', EMAIL) is True


def test_matches_ne_equal_value():
    assert check('type ne "WORK"', EMAIL) is False


def test_matches_ne_case_exact():
    assert check('type ne "WORK"', EMAIL, sensitive) is True


def test_matches_co():
    assert check('value co "example"', EMAIL) is True


def test_matches_co_case_exact():
    assert check('value co "EXAMPLE"', EMAIL, sensitive) is False


def test_matches_sw():
    assert check('value sw "a@"', EMAIL) is True


def test_matches_sw_no_match():
    assert check('value sw "example"', EMAIL) is False


def test_matches_ew():
    assert check('value ew ".COM"', EMAIL) is True


def test_matches_ew_case_exact():
    assert check('value ew ".COM"', EMAIL, sensitive) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName gt "a"', True),
        ('userName gt "c"', False),
        ('userName ge "bjensen"', True),
        ('userName lt "bjensen"', False),
        ('userName le "BJENSEN"', True),
        ("loginCount gt 6", True),
        ("loginCount gt 7", False),
        ("loginCount ge 7", True),
        ("loginCount lt 7.5", True),
        ("loginCount le 6", False),
        ("score gt 2", True),
        ("score eq 2.5", True),
        ("loginCount eq 7.0", True),
        ('meta.created gt "2024-02-29T23:59:59Z"', True),
        ('meta.created lt "2024-03-01T10:00:00.001Z"', True),
        ('meta.created ge "2024-03-01T11:00:00+01:00"', True),
        ('meta.created gt "2024-03-01T11:00:00+01:00"', False),
        ('meta.created eq "2024-03-01T10:00:00.000Z"', True),
        ('meta.lastModified lt "2024-03-02T07:00:00Z"', True),
    ],
)
def test_matches_ordering(text, expected):
    assert check(text) is expected


def test_matches_ordering_case_exact():
    assert check('userName gt "a"', USER, sensitive) is False


def test_matches_boolean_eq():
    assert check("active eq true") is True


def test_matches_boolean_eq_case_insensitive_literal():
    assert check("active eq FALSE") is False


def test_matches_boolean_ne():
    assert check("active ne false") is True


@pytest.mark.parametrize("op", ["gt", "ge", "lt", "le"])
def test_matches_boolean_ordering_raises(op):
    with pytest.raises(ScimFilterError, match=f'"{op}" cannot compare the boolean attribute'):
        check(f'active {op} "x"')


def test_matches_boolean_not_number():
    assert check("active eq 1") is False


def test_matches_number_not_boolean():
    assert check("loginCount eq true") is False


def test_matches_string_not_number():
    assert check('loginCount eq "7"') is False


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("userName", True),
        ("name", True),
        ("emails", True),
        ("title", False),
        ("nickName", False),
        ("roles", False),
        ("x509Certificates", False),
        ("missing", False),
    ],
)
def test_matches_present(name, expected):
    assert check(f"{name} pr") is expected


def test_matches_missing_attribute_eq():
    assert check('missing eq "x"') is False


def test_matches_missing_attribute_ne():
    assert check('missing ne "x"') is True


def test_matches_missing_attribute_gt():
    assert check("missing gt 1") is False


@pytest.mark.parametrize(
    ("name", "expected"),
    [("missing", True), ("nickName", True), ("title", True), ("userName", False)],
)
def test_matches_eq_null(name, expected):
    assert check(f"{name} eq null") is expected


@pytest.mark.parametrize(("name", "expected"), [("missing", False), ("userName", True)])
def test_matches_ne_null(name, expected):
    assert check(f"{name} ne null") is expected


def test_matches_attribute_name_case_insensitive():
    assert check('USERNAME eq "bjensen"') is True


def test_matches_sub_attribute():
    assert check('name.familyName eq "jensen"') is True


def test_matches_sub_attribute_name_case_insensitive():
    assert check('NAME.FAMILYNAME eq "jensen"') is True


def test_matches_multi_valued_any():
    assert check('emails.type eq "home"') is True


def test_matches_multi_valued_ne_means_none_equal():
    assert check('emails.type ne "home"') is False


def test_matches_complex_without_sub_attribute_uses_value():
    assert check('emails co "jensen.org"') is True


def test_matches_value_path():
    assert check('emails[type eq "work" and value co "@example.com"]') is True


def test_matches_value_path_same_item():
    assert check('emails[type eq "home" and value co "@example.com"]') is False


def test_matches_value_path_missing_attribute():
    assert check('phoneNumbers[type eq "work"]') is False


def test_matches_bracket_then_sub_attribute():
    assert check('emails[type eq "work"].value eq "bjensen@example.com"') is True


def test_matches_bracket_then_sub_attribute_other_item():
    assert check('emails[type eq "home"].value eq "bjensen@example.com"') is False


def test_matches_bracket_then_sub_attribute_present():
    assert check('emails[type eq "home"].primary pr') is False


def test_matches_urn_extension():
    assert check(f'{ENTERPRISE}:employeeNumber eq "701984"') is True


def test_matches_urn_extension_case_insensitive():
    assert check(f'{ENTERPRISE.upper()}:EMPLOYEENUMBER eq "701984"') is True


def test_matches_urn_extension_sub_attribute():
    assert check(f'{ENTERPRISE}:manager.value eq "26118915"') is True


def test_matches_core_urn_uses_top_level():
    assert check(f'{CORE_USER}:userName eq "bjensen"') is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "bjensen" and active eq true', True),
        ('userName eq "bjensen" and active eq false', False),
        ('userName eq "x" or active eq true', True),
        ('userName eq "x" or active eq false', False),
        ('not (userName eq "x")', True),
        ('not (userName eq "bjensen")', False),
        ('userName eq "x" or loginCount gt 5 and not (title pr)', True),
        ('(userName eq "x" or loginCount gt 5) and title pr', False),
    ],
)
def test_matches_logical(text, expected):
    assert check(text) is expected


def test_matches_case_exact_receives_path():
    seen = []

    def record(path):
        seen.append(path)
        return True

    check('name.familyName eq "Jensen"', USER, record)

    assert seen == [attr("name", "familyName")]


def test_matches_case_exact_qualifies_bracket_names():
    seen = []

    def record(path):
        seen.append(path)
        return False

    check('emails[type eq "work"]', USER, record)

    assert attr("emails", "type") in seen


def test_matches_case_exact_per_attribute():
    def only_value_exact(path):
        return path.sub_attr == "value"

    text = 'emails[type eq "WORK" and value eq "BJENSEN@example.com"]'

    assert check(text, USER, only_value_exact) is False
    assert check('emails[type eq "WORK"]', USER, only_value_exact) is True


def test_matches_non_dict_values_ignored():
    element = {"emails": ["plain", 3, None, {"type": "work"}]}

    assert check('emails[type eq "work"]', element) is True
    assert check('emails.type eq "work"', element) is True
    assert check('emails eq "plain"', element) is True


# --- Robustness ------------------------------------------------------------------------

FRAGMENTS = [
    "userName",
    "emails",
    "name.familyName",
    f"{ENTERPRISE}:employeeNumber",
    "urn:",
    "emails[",
    "[",
    "]",
    "].value",
    ".",
    ":",
    "$ref",
    "(",
    ")",
    "not",
    "NOT",
    "and",
    "Or",
    "eq",
    "ne",
    "co",
    "sw",
    "ew",
    "gt",
    "ge",
    "lt",
    "le",
    "pr",
    '"x"',
    '"a\\"b"',
    '"\\u00e9"',
    '"',
    "\\",
    "\\u",
    "1",
    "-1.5",
    "1e3",
    "1e999",
    "01",
    "true",
    "null",
    "False",
    "\x00",
    "\u00e9",
    "\ud800",
    "\t",
]

SEEDS = [
    'userName eq "bjensen"',
    'name.familyName co "O\'Malley" and not (title pr)',
    'emails[type eq "work" and value co "@example.com"] or loginCount gt 5',
    'emails[type eq "work"].value eq "x"',
    f'{ENTERPRISE}:employeeNumber ge "1" and active eq true',
    'meta.created lt "2024-01-01T00:00:00Z"',
    "(a pr or b pr) and not (c eq null)",
]


def random_char(rng):
    if rng.random() < 0.5:
        return rng.choice('()[]". :\\$-_eE0123456789aznotr')
    return chr(rng.randint(0, 0x2FFF))


def random_filter_text(rng):
    parts = []
    for _ in range(rng.randint(0, 12)):
        if rng.random() < 0.2:
            parts.append(random_char(rng))
        else:
            parts.append(rng.choice(FRAGMENTS))
        parts.append(rng.choice(["", " ", " ", "  "]))
    return "".join(parts)


def random_valid_filter(rng, depth=0):
    choice = rng.randrange(6) if depth < 3 else 0
    if choice == 0:
        path = rng.choice(["userName", "emails.value", "loginCount", "active", "meta.created"])
        op = rng.choice(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"])
        if op == "pr":
            return f"{path} pr"
        if op in ("co", "sw", "ew"):
            return f'{path} {op} "{rng.choice(["b", "J", "2024"])}"'
        value = rng.choice(['"bjensen"', "7", "2.5", "true", "null", '"2024-03-01T10:00:00Z"'])
        if value in ("true", "null") and op not in ("eq", "ne"):
            value = "1"
        return f"{path} {op} {value}"
    if choice == 1:
        return f"not ({random_valid_filter(rng, depth + 1)})"
    if choice == 2:
        return f"({random_valid_filter(rng, depth + 1)})"
    if choice == 3:
        return f'emails[type eq "work" {rng.choice(["and", "or"])} value co "@"]'
    word = rng.choice(["and", "or", "AND", "Or"])
    return f"{random_valid_filter(rng, depth + 1)} {word} {random_valid_filter(rng, depth + 1)}"


def mutate(rng, text):
    for _ in range(rng.randint(1, 3)):
        index = rng.randint(0, len(text))
        action = rng.randrange(4)
        if action == 0:
            text = text[:index] + text[index + 1 :]
        elif action == 1:
            text = text[:index] + random_char(rng) + text[index:]
        elif action == 2:
            text = text[:index] + rng.choice(FRAGMENTS) + text[index:]
        else:
            text = text[:index] + text[index:][::-1]
    return text


def check_robust(text, outcomes):
    try:
        parsed = parse_filter(text)
    except ScimFilterError as error:
        assert str(error)
        outcomes["rejected"] += 1
    else:
        outcomes["parsed"] += 1
        for case_exact in (insensitive, sensitive):
            try:
                matches(parsed, USER, case_exact)
            except ScimFilterError as error:
                assert "boolean" in str(error)

    try:
        parse_path(text)
    except ScimFilterError as error:
        assert str(error)


def test_random_strings_raise_only_filter_error():
    # A fixed seed makes a failure reproducible. The strings are test input, not secrets.
    rng = random.Random(7644)  # noqa: S311
    outcomes = {"parsed": 0, "rejected": 0}

    for _ in range(6000):
        check_robust(random_filter_text(rng), outcomes)
    for _ in range(6000):
        check_robust(mutate(rng, rng.choice(SEEDS)), outcomes)
    for _ in range(3000):
        text = random_valid_filter(rng)
        check_robust(text, outcomes)
        check_robust(mutate(rng, text), outcomes)

    assert outcomes["parsed"] > 3000
    assert outcomes["rejected"] > 1000
