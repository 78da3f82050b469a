"""SCIM filter and PATCH path parsing, and in-memory filter evaluation (RFC 7644).

``parse_filter`` turns a ``filter`` query parameter (RFC 7644 section 3.4.2.2) into an
expression tree. ``parse_path`` turns the ``path`` of a PATCH operation (section 3.5.2) into
an ``AttrPath``. ``matches`` evaluates an expression against one JSON object, for example
the item of a multi-valued attribute that a PATCH path filter selects.

The module imports no database or web code, so callers can translate the tree to SQL or
evaluate it in memory. Every syntax error raises ScimFilterError, and so does an ordering
comparison on a boolean in ``matches``. The message is a sentence for the client, and syntax
errors name the 1-based character position and what was expected there. RFC 7644 reports such
errors with status 400 and scimType "invalidFilter" or "invalidPath".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "COMPARISON_OPERATORS",
    "MAX_LOGICAL_OPERATORS",
    "MAX_NESTING_DEPTH",
    "MAX_PATH_LENGTH",
    "And",
    "AttrPath",
    "Compare",
    "Expr",
    "Not",
    "Or",
    "Present",
    "ScimFilterError",
    "ValuePath",
    "matches",
    "parse_filter",
    "parse_path",
]

# Parentheses and brackets nested deeper than this are rejected. The recursive parser uses
# four or five Python frames per level, so it stays far below the default recursion limit of 1000.
MAX_NESTING_DEPTH = 32

# Maximum number of "and", "or" and "not" in one filter. It bounds the depth of the tree, so
# that recursive code walking the tree, such as matches() and repr(), cannot overflow the
# stack. A 4096-character filter fits about 85 terms such as id eq "<uuid>" joined by "or".
MAX_LOGICAL_OPERATORS = 200

# Maximum length of a PATCH path, which has no caller-supplied limit.
MAX_PATH_LENGTH = 4096

COMPARISON_OPERATORS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_ORDERING_OPERATORS = frozenset({"gt", "ge", "lt", "le"})
_SUBSTRING_OPERATORS = frozenset({"co", "sw", "ew"})


class ScimFilterError(ValueError):
    """Error for a filter or path that does not parse, or a comparison that cannot apply.

    str(error) is a sentence for the client.
    """


@dataclass(frozen=True)
class AttrPath:
    """Attribute reference such as ``userName``, ``name.familyName`` or ``emails[...].value``.

    ``uri`` is the schema URN prefix, or None. ``attr`` and ``sub_attr`` keep the spelling of
    the request, because names are case-insensitive and callers resolve them. ``value_filter``
    is the filter in brackets, and ``sub_attr`` then contains the name after the closing bracket.
    """

    uri: str | None
    attr: str
    sub_attr: str | None
    value_filter: Expr | None = None


@dataclass(frozen=True)
class Compare:
    """Comparison ``path op value``, where ``op`` is one of COMPARISON_OPERATORS in lower case."""

    path: AttrPath
    op: str
    value: str | int | float | bool | None


@dataclass(frozen=True)
class Present:
    """Presence test ``path pr``."""

    path: AttrPath


@dataclass(frozen=True)
class And:
    """Logical conjunction of two expressions."""

    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or:
    """Logical disjunction of two expressions."""

    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not:
    """Logical negation, written ``not (expr)``."""

    expr: Expr


@dataclass(frozen=True)
class ValuePath:
    """Complex attribute filter used as a term, such as ``emails[type eq "work"]``.

    It matches when at least one value of ``path`` matches ``filter``.
    """

    path: AttrPath
    filter: Expr


Expr = Compare | Present | And | Or | Not | ValuePath


# --- Tokenizer -------------------------------------------------------------------------

_WHITESPACE = " \t\r\n"
_PUNCTUATION = "()[]"
# A word is any run of characters other than these. The parser decides whether a word is an
# attribute path, an operator, a keyword or a literal.
_WORD_DELIMITERS = frozenset(_WHITESPACE + _PUNCTUATION + '"')

_NAME = r"(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)"
_NAME_PATTERN = re.compile(_NAME)
_ATTR_PATTERN = re.compile(rf"(?P<attr>{_NAME})(?:\.(?P<sub>{_NAME}))?")
_URN_PATTERN = re.compile(r"urn(?::[A-Za-z0-9._-]+)+", re.IGNORECASE)
_NUMBER_PATTERN = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?P<fraction>\.[0-9]+)?(?P<exponent>[eE][+-]?[0-9]+)?"
)
# xsd:dateTime with a time zone, the format of SCIM dateTime values in RFC 7643.
_DATETIME_PATTERN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})",
    re.IGNORECASE,
)

_PATH_SYNTAX_HINT = (
    "Write an attribute as name, name.subName or urn:...:name, where a name starts with a "
    'letter and contains only letters, digits, "-" and "_".'
)


@dataclass(frozen=True)
class _Token:
    """Lexical unit of a filter or path.

    ``kind`` is "word", "string", "end" or one of the characters ( ) [ ]. ``position`` is the
    0-based index of the first character in the source text, and ``spaced`` is True when
    whitespace precedes the token. ``value`` is the decoded content of a string token.
    """

    kind: str
    text: str
    position: int
    spaced: bool
    value: str | None = None


def _tokenize(text: str) -> list[_Token]:
    """Split ``text`` into tokens, the last of which has the kind "end".

    Strings use JSON syntax, including the escapes \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX.
    Raises ScimFilterError for an unterminated or invalid string.
    """
    tokens: list[_Token] = []
    index = 0
    spaced = False
    while index < len(text):
        char = text[index]
        if char in _WHITESPACE:
            spaced = True
            index += 1
            continue

        if char in _PUNCTUATION:
            tokens.append(_Token(char, char, index, spaced))
            index += 1
        elif char == '"':
            end = _find_string_end(text, index)
            raw = text[index:end]
            tokens.append(_Token("string", raw, index, spaced, _decode_string(raw, index)))
            index = end
        else:
            end = index + 1
            while end < len(text) and text[end] not in _WORD_DELIMITERS:
                end += 1
            tokens.append(_Token("word", text[index:end], index, spaced))
            index = end
        spaced = False

    tokens.append(_Token("end", "", len(text), spaced))
    return tokens


def _find_string_end(text: str, start: int) -> int:
    """Return the index after the quote that closes the string opening at ``start``."""
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
        elif char == '"':
            return index + 1
        else:
            index += 1
    raise ScimFilterError(
        f"Unterminated string starting at position {start + 1}. Add the closing double quote."
    )


def _decode_string(raw: str, start: int) -> str:
    """Decode a quoted JSON string token, raising ScimFilterError if it is invalid."""
    try:
        return json.loads(raw)
    except ValueError:
        raise ScimFilterError(
            f"Invalid string at position {start + 1}. Strings use JSON syntax, so escape a "
            "double quote or backslash with a backslash, and control characters as \\uXXXX."
        ) from None


# --- Parser ----------------------------------------------------------------------------


def parse_filter(text: str, max_length: int = 4096) -> Expr:
    """Parse a SCIM filter expression into a tree of Compare, Present, And, Or, Not and ValuePath.

    The accepted grammar follows RFC 7644 figure 1::

        filter    = andExpr *( "or" andExpr )
        andExpr   = unary *( "and" unary )
        unary     = "not" "(" filter ")" / "(" filter ")" / term
        term      = attrPath "[" filter "]" [ "." name ( "pr" / compareOp compValue ) ]
                  / attrPath "pr"
                  / attrPath compareOp compValue
        attrPath  = [ urn ":" ] name [ "." name ]
        name      = ALPHA *( ALPHA / DIGIT / "-" / "_" ) / "$ref"
        urn       = "urn" 1*( ":" 1*( ALPHA / DIGIT / "." / "-" / "_" ) )
        compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "ge" / "lt" / "le"
        compValue = "true" / "false" / "null" / JSON number / JSON string

    So "not" binds tighter than "and", which binds tighter than "or", and both group from
    the left. Operators, keywords, literals and the "urn:" prefix are case-insensitive.
    Whitespace (space, tab, CR, LF) separates words and is optional next to quotes,
    parentheses and brackets, but it may not precede a "[" or the ".name" after "]". The
    filter in brackets may not contain brackets itself, and a bracket term without ".name"
    becomes a ValuePath. The form ``emails[type eq "work"].value eq "x"`` goes beyond figure 1,
    which allows a name after the brackets only in PATCH paths. It becomes a Compare whose
    path has both ``value_filter`` and ``sub_attr``.

    A boolean or null value works only with "eq" and "ne", and "co", "sw" and "ew" need a
    string. Raises ScimFilterError for an empty filter, one longer than ``max_length``
    characters, a syntax error, or nesting beyond MAX_NESTING_DEPTH or MAX_LOGICAL_OPERATORS.
    """
    if len(text) > max_length:
        raise ScimFilterError(
            f"Filter has {len(text)} characters, more than the maximum of {max_length}."
        )
    if not text.strip(_WHITESPACE):
        raise ScimFilterError('Filter is empty. Send an expression such as userName eq "bjensen".')

    parser = _Parser(text, "filter")
    expr = parser.parse_or(in_brackets=False)
    parser.expect_end()
    return expr


def parse_path(text: str) -> AttrPath:
    """Parse the path of a SCIM PATCH operation.

    The grammar is RFC 7644 section 3.5.2 with the attrPath of parse_filter::

        path = attrPath / attrPath "[" filter "]" [ "." name ]

    Examples are ``members``, ``name.familyName``, ``emails[type eq "work"].value`` and
    ``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber``. The bracket
    filter becomes ``value_filter`` and the name after the brackets ``sub_attr``. Whitespace
    is allowed only inside the brackets. Raises ScimFilterError for anything else.
    """
    if len(text) > MAX_PATH_LENGTH:
        raise ScimFilterError(
            f"Path has {len(text)} characters, more than the maximum of {MAX_PATH_LENGTH}."
        )
    if not text.strip(_WHITESPACE):
        raise ScimFilterError('Path is empty. Send an attribute path such as "name.familyName".')
    if text[0] in _WHITESPACE or text[-1] in _WHITESPACE:
        raise ScimFilterError("Path starts or ends with whitespace. Remove the whitespace.")

    parser = _Parser(text, "path")
    first = parser.peek()
    if first.kind != "word":
        raise parser.expected("an attribute name", first)

    parser.advance()
    path = parser.parse_attr_path(first)
    if parser.peek().kind == "[":
        path = parser.parse_bracket_path(path)

    end = parser.peek()
    if end.kind != "end":
        expected = (
            '"[" or the end of the path' if path.value_filter is None else "the end of the path"
        )
        raise parser.expected(expected, end)
    return path


class _Parser:
    """Recursive-descent parser over the tokens of one filter or path.

    ``subject`` is "filter" or "path" and appears in error messages.
    """

    def __init__(self, text: str, subject: str) -> None:
        self.text = text
        self.subject = subject
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.logical_operators = 0

    # Token access and error messages

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def previous(self) -> _Token | None:
        return self.tokens[self.index - 1] if self.index > 0 else None

    def describe(self, token: _Token) -> str:
        if token.kind == "end":
            return f"the end of the {self.subject}"
        text = token.text if len(token.text) <= 40 else token.text[:37] + "..."
        if token.kind == "string":
            return text
        return f'"{text}"'

    def error_at(self, token: _Token, message: str) -> ScimFilterError:
        return ScimFilterError(f"{message} at position {token.position + 1}.")

    def expected(self, expectation: str, token: _Token) -> ScimFilterError:
        """Build the error for an unexpected ``token``, naming the token before it."""
        previous = self.previous()
        after = f" after {self.describe(previous)}" if previous is not None else ""
        return ScimFilterError(
            f"Expected {expectation}{after} at position {token.position + 1}, "
            f"found {self.describe(token)}."
        )

    def expect_end(self) -> None:
        token = self.peek()
        if token.kind != "end":
            raise self.expected(f'"and", "or" or the end of the {self.subject}', token)

    def is_keyword(self, token: _Token, keyword: str) -> bool:
        return token.kind == "word" and token.text.lower() == keyword

    def enter_nesting(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING_DEPTH:
            raise self.error_at(
                token,
                f"Parentheses and brackets are nested more than {MAX_NESTING_DEPTH} levels deep",
            )

    def count_logical_operator(self, token: _Token) -> None:
        self.logical_operators += 1
        if self.logical_operators > MAX_LOGICAL_OPERATORS:
            raise self.error_at(
                token,
                f'Filter has more than {MAX_LOGICAL_OPERATORS} "and", "or" and "not" operators',
            )

    # Logical expressions

    def parse_or(self, in_brackets: bool) -> Expr:
        expr = self.parse_and(in_brackets)
        while self.is_keyword(self.peek(), "or"):
            self.count_logical_operator(self.advance())
            expr = Or(expr, self.parse_and(in_brackets))
        return expr

    def parse_and(self, in_brackets: bool) -> Expr:
        expr = self.parse_unary(in_brackets)
        while self.is_keyword(self.peek(), "and"):
            self.count_logical_operator(self.advance())
            expr = And(expr, self.parse_unary(in_brackets))
        return expr

    def parse_unary(self, in_brackets: bool) -> Expr:
        token = self.peek()
        if self.is_keyword(token, "not"):
            self.count_logical_operator(self.advance())
            if self.peek().kind != "(":
                raise self.expected('"("', self.peek())
            return Not(self.parse_group(in_brackets))
        if token.kind == "(":
            return self.parse_group(in_brackets)
        return self.parse_term(in_brackets)

    def parse_group(self, in_brackets: bool) -> Expr:
        opening = self.advance()
        self.enter_nesting(opening)
        expr = self.parse_or(in_brackets)
        closing = self.peek()
        if closing.kind != ")":
            raise self.expected('")", "and" or "or"', closing)
        self.advance()
        self.depth -= 1
        return expr

    # Terms and attribute paths

    def parse_term(self, in_brackets: bool) -> Expr:
        token = self.peek()
        if token.kind != "word":
            raise self.expected('an attribute name, "not" or "("', token)
        self.advance()
        path = self.parse_attr_path(token)

        if self.peek().kind == "[":
            if in_brackets:
                raise ScimFilterError(
                    f"Nested brackets at position {self.peek().position + 1} are not allowed. "
                    "A filter in brackets refers to the sub-attributes of one attribute, as in "
                    'emails[type eq "work"], and cannot contain another bracket filter.'
                )
            path = self.parse_bracket_path(path)
            if path.sub_attr is None:
                return ValuePath(AttrPath(path.uri, path.attr, None), path.value_filter)

        return self.parse_operation(path)

    def parse_attr_path(self, token: _Token) -> AttrPath:
        """Parse the attrPath in a word token: ``name``, ``name.sub`` or ``urn:...:name[.sub]``."""
        text = token.text
        uri = None
        rest = text
        if ":" in text:
            uri, _, rest = text.rpartition(":")
            if _URN_PATTERN.fullmatch(uri) is None:
                raise self.invalid_path(token)

        match = _ATTR_PATTERN.fullmatch(rest)
        if match is None:
            raise self.invalid_path(token)
        return AttrPath(uri, match.group("attr"), match.group("sub"))

    def invalid_path(self, token: _Token) -> ScimFilterError:
        text = self.describe(token)
        return ScimFilterError(
            f"Invalid attribute path {text} at position {token.position + 1}. {_PATH_SYNTAX_HINT}"
        )

    def parse_bracket_path(self, path: AttrPath) -> AttrPath:
        """Parse ``[filter]`` and an optional ``.name`` after the attribute path ``path``."""
        opening = self.peek()
        if opening.spaced:
            raise self.error_at(opening, 'Remove the whitespace before "["')
        if path.sub_attr is not None:
            raise ScimFilterError(
                f'Unexpected "[" after the sub-attribute "{path.attr}.{path.sub_attr}" at '
                f"position {opening.position + 1}. Brackets follow the attribute, as in "
                f"{path.attr}[...].{path.sub_attr}."
            )
        self.advance()
        self.enter_nesting(opening)
        value_filter = self.parse_or(in_brackets=True)
        closing = self.peek()
        if closing.kind != "]":
            raise self.expected('"]", "and" or "or"', closing)
        self.advance()
        self.depth -= 1

        sub_attr = None
        token = self.peek()
        if token.kind == "word" and token.text.startswith("."):
            if token.spaced:
                raise self.error_at(token, f'Remove the whitespace before "{token.text}"')
            if _NAME_PATTERN.fullmatch(token.text[1:]) is None:
                raise self.invalid_path(token)
            self.advance()
            sub_attr = token.text[1:]
        return AttrPath(path.uri, path.attr, sub_attr, value_filter)

    def parse_operation(self, path: AttrPath) -> Expr:
        """Parse ``pr`` or ``compareOp compValue`` after the attribute path ``path``."""
        token = self.peek()
        operator = token.text.lower() if token.kind == "word" else ""
        if operator == "pr":
            self.advance()
            return Present(path)
        if operator not in COMPARISON_OPERATORS:
            raise self.expected("an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr)", token)
        self.advance()

        value_token = self.peek()
        value = self.parse_value(value_token)
        self.advance()
        self.check_operand(operator, value, value_token)
        return Compare(path, operator, value)

    def parse_value(self, token: _Token) -> str | int | float | bool | None:
        if token.kind == "string":
            return token.value
        if token.kind == "word":
            keyword = token.text.lower()
            if keyword == "true":
                return True
            if keyword == "false":
                return False
            if keyword == "null":
                return None
            match = _NUMBER_PATTERN.fullmatch(token.text)
            if match is not None:
                return self.parse_number(token, match)
        raise self.expected("a value (a quoted string, a number, true, false or null)", token)

    def parse_number(self, token: _Token, match: re.Match[str]) -> int | float:
        try:
            if match.group("fraction") is None and match.group("exponent") is None:
                return int(token.text)
            number = float(token.text)
        except ValueError:
            # int() rejects numbers longer than sys.get_int_max_str_digits() digits.
            number = math.inf
        if math.isinf(number):
            raise self.error_at(token, f"Number {self.describe(token)} is out of range")
        return number

    def check_operand(self, operator: str, value: object, token: _Token) -> None:
        if (value is None or isinstance(value, bool)) and operator not in ("eq", "ne"):
            raise ScimFilterError(
                f'Operator "{operator}" cannot take the value {token.text.lower()} at position '
                f'{token.position + 1}. The values true, false and null work only with "eq" and '
                '"ne".'
            )
        if operator in _SUBSTRING_OPERATORS and not isinstance(value, str):
            raise ScimFilterError(
                f'Operator "{operator}" needs a quoted string at position {token.position + 1}, '
                f"found {self.describe(token)}."
            )


# --- Evaluation ------------------------------------------------------------------------

_MISSING = object()


def matches(expr: Expr, element: dict, case_exact: Callable[[AttrPath], bool]) -> bool:
    """Evaluate ``expr`` against the JSON object ``element``.

    Attribute names and the schema URN prefix resolve case-insensitively. A URN prefix
    selects the extension object stored under that URN when ``element`` has one, and
    otherwise ``element`` itself, where core attributes live. A multi-valued attribute
    matches when any of its values matches. Comparing a complex value without a
    sub-attribute uses its "value" sub-attribute, as in ``emails co "example.com"``.

    ``case_exact(path)`` returns True when strings of ``path`` compare case-sensitively.
    Otherwise they compare after str.casefold(). Within a bracket filter, ``path`` names the
    attribute before the bracket with the inner name as ``sub_attr``.

    Comparison rules:

    * "eq", "ne" and the ordering operators compare strings with strings, numbers with
      numbers and booleans with booleans, and a value of another type does not match.
    * Strings order by code point, except that two xsd:dateTime values with a time zone
      compare as instants, and so do "eq" and "ne" on them.
    * "co", "sw" and "ew" match substrings of strings.
    * "pr" is true when a value is present and is not null, "", [] or {}.
    * "eq null" is true when "pr" is false, and "ne null" when "pr" is true.
    * "ne" is the negation of "eq", so it is true for a missing attribute.

    Raises ScimFilterError when an ordering operator meets a boolean value.
    """
    return _evaluate(expr, element, case_exact)


def _evaluate(expr: Expr, element: object, case_exact: Callable[[AttrPath], bool]) -> bool:
    if isinstance(expr, And):
        return _evaluate(expr.left, element, case_exact) and _evaluate(
            expr.right, element, case_exact
        )
    if isinstance(expr, Or):
        return _evaluate(expr.left, element, case_exact) or _evaluate(
            expr.right, element, case_exact
        )
    if isinstance(expr, Not):
        return not _evaluate(expr.expr, element, case_exact)
    if isinstance(expr, Present):
        return any(_is_present(value) for value in _resolve(expr.path, element, case_exact))
    if isinstance(expr, ValuePath):
        inner_case_exact = _qualified_case_exact(expr.path, case_exact)
        return any(
            isinstance(item, dict) and _evaluate(expr.filter, item, inner_case_exact)
            for item in _resolve(expr.path, element, case_exact)
        )
    if isinstance(expr, Compare):
        return _evaluate_compare(expr, element, case_exact)
    raise TypeError(f"Expected a filter expression, got {expr!r}")


def _evaluate_compare(
    expr: Compare, element: object, case_exact: Callable[[AttrPath], bool]
) -> bool:
    values = _resolve(expr.path, element, case_exact)
    if expr.value is None:
        present = any(_is_present(value) for value in values)
        return present if expr.op == "ne" else not present
    if expr.op == "ne":
        return not _evaluate_compare(Compare(expr.path, "eq", expr.value), element, case_exact)

    exact = case_exact(expr.path)
    for value in values:
        if isinstance(value, dict):
            value = _lookup(value, "value")
        if _compare_value(value, expr.op, expr.value, exact, expr.path):
            return True
    return False


def _compare_value(
    actual: object, operator: str, expected: object, exact: bool, path: AttrPath
) -> bool:
    """Apply ``operator`` to one attribute value and the filter value, for any operator but ne."""
    if isinstance(actual, bool) and operator in _ORDERING_OPERATORS:
        raise ScimFilterError(
            f'Operator "{operator}" cannot compare the boolean attribute '
            f'"{_format_path(path)}". Booleans work only with "eq" and "ne".'
        )
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected

    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return _apply_operator(operator, actual, expected)

    if not (isinstance(actual, str) and isinstance(expected, str)):
        return False

    if operator in _SUBSTRING_OPERATORS or operator == "eq":
        instants = _parse_datetimes(actual, expected) if operator == "eq" else None
        if instants is not None:
            return instants[0] == instants[1]
        if not exact:
            actual, expected = actual.casefold(), expected.casefold()
        if operator == "eq":
            return actual == expected
        if operator == "co":
            return expected in actual
        if operator == "sw":
            return actual.startswith(expected)
        return actual.endswith(expected)

    instants = _parse_datetimes(actual, expected)
    if instants is not None:
        return _apply_operator(operator, *instants)
    if not exact:
        actual, expected = actual.casefold(), expected.casefold()
    return _apply_operator(operator, actual, expected)


def _apply_operator(operator: str, actual, expected) -> bool:
    if operator == "eq":
        return actual == expected
    if operator == "gt":
        return actual > expected
    if operator == "ge":
        return actual >= expected
    if operator == "lt":
        return actual < expected
    if operator == "le":
        return actual <= expected
    return False


def _parse_datetimes(actual: str, expected: str) -> tuple[datetime, datetime] | None:
    """Return both strings as aware datetimes if both are xsd:dateTime values with a time zone."""
    if _DATETIME_PATTERN.fullmatch(actual) is None or _DATETIME_PATTERN.fullmatch(expected) is None:
        return None
    try:
        return datetime.fromisoformat(actual.upper()), datetime.fromisoformat(expected.upper())
    except ValueError:
        # The pattern accepts impossible dates such as month 13.
        return None


def _resolve(path: AttrPath, element: object, case_exact: Callable[[AttrPath], bool]) -> list:
    """Return the values that ``path`` selects in ``element``, with lists flattened.

    Null values are left out. The bracket filter of ``path`` keeps only the complex values
    that match it, and ``sub_attr`` then selects a sub-attribute of each.
    """
    container = element
    if path.uri is not None:
        extension = _lookup(element, path.uri)
        if isinstance(extension, dict):
            container = extension

    values = _flatten(_lookup(container, path.attr))
    if path.value_filter is not None:
        inner_case_exact = _qualified_case_exact(AttrPath(path.uri, path.attr, None), case_exact)
        values = [
            value
            for value in values
            if isinstance(value, dict) and _evaluate(path.value_filter, value, inner_case_exact)
        ]
    if path.sub_attr is not None:
        values = [
            sub_value for value in values for sub_value in _flatten(_lookup(value, path.sub_attr))
        ]
    return values


def _flatten(value: object) -> list:
    if value is _MISSING or value is None:
        return []
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return [value]


def _lookup(container: object, name: str) -> object:
    """Return the member ``name`` of a JSON object, matching the name case-insensitively."""
    if not isinstance(container, dict):
        return _MISSING
    if name in container:
        return container[name]
    folded = name.casefold()
    for key, value in container.items():
        if isinstance(key, str) and key.casefold() == folded:
            return value
    return _MISSING


def _is_present(value: object) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _qualified_case_exact(
    parent: AttrPath, case_exact: Callable[[AttrPath], bool]
) -> Callable[[AttrPath], bool]:
    """Wrap ``case_exact`` so that names inside a bracket filter reach it as parent.name."""

    def inner_case_exact(path: AttrPath) -> bool:
        if path.uri is None and path.sub_attr is None and path.value_filter is None:
            path = AttrPath(parent.uri, parent.attr, path.attr)
        return case_exact(path)

    return inner_case_exact


def _format_path(path: AttrPath) -> str:
    text = path.attr if path.uri is None else f"{path.uri}:{path.attr}"
    if path.value_filter is not None:
        text += "[...]"
    if path.sub_attr is not None:
        text += f".{path.sub_attr}"
    return text
