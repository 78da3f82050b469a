"""SQL for SCIM values kept as JSON, on SQLite and PostgreSQL: instants and array values.

Filters on attributes kept in ``scim_data`` need two things that SQLite and
PostgreSQL spell differently: comparing RFC 3339 strings as instants, and
iterating the values of a multi-valued attribute. The constructs here
compile to each dialect's own functions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, String, cast, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# An RFC 3339 date-time with a time zone, as the PATCH engine accepts it.
# PostgreSQL casts only the strings that match, so a malformed value left
# from an older schema compares as NULL instead of failing the query.
_DATETIME_REGEX = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
    "([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


class json_instant(FunctionElement):  # noqa: N801 (named like the SQL functions it stands for)
    """An RFC 3339 string as a value that orders by instant, whatever its time zone offset.

    SQLite: ``julianday()`` of the upper-cased string, which counts in
    milliseconds, so digits past the third of a fraction of a second are
    ignored. PostgreSQL: the string cast to ``timestamptz``. Both sides of a
    comparison must be wrapped.
    """

    inherit_cache = True


@compiles(json_instant, "sqlite")
def _sqlite_instant(element: json_instant, compiler: Any, **kw: Any) -> str:
    # SQLite's date functions accept "T" but not "t" between date and time.
    return f"julianday(upper({compiler.process(element.clauses, **kw)}))"


@compiles(json_instant, "postgresql")
def _postgresql_instant(element: json_instant, compiler: Any, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return (
        f"CASE WHEN {text} ~ '{_DATETIME_REGEX}' THEN CAST({text} AS TIMESTAMP WITH TIME ZONE) END"
    )


class json_array_values(FunctionElement):  # noqa: N801
    """The values of a JSON array, as a table with one column ``value``.

    SQLite: ``json_each()``, whose ``value`` is the SQL value of a scalar
    and JSON text for an object. PostgreSQL: ``json_array_elements()`` for
    arrays of objects and ``json_array_elements_text()`` for arrays of
    scalars. On both, a value that is not an array (or is missing) has no
    values.
    """

    inherit_cache = True

    def __init__(self, array: Any, *, of_objects: bool) -> None:
        self.of_objects = of_objects
        super().__init__(array)


@compiles(json_array_values, "sqlite")
def _sqlite_array_values(element: json_array_values, compiler: Any, **kw: Any) -> str:
    # A missing member reads as the JSON text "null", which json_each would
    # return as one value, so anything but an array becomes SQL NULL.
    array = compiler.process(element.clauses, **kw)
    return f"json_each(CASE WHEN json_type({array}) = 'array' THEN {array} END)"


@compiles(json_array_values, "postgresql")
def _postgresql_array_values(element: json_array_values, compiler: Any, **kw: Any) -> str:
    array = compiler.process(element.clauses, **kw)
    function = "json_array_elements" if element.of_objects else "json_array_elements_text"
    return f"{function}(CASE WHEN json_typeof({array}) = 'array' THEN {array} END)"


def array_values(array: Any, *, of_objects: bool) -> Any:
    """Return a table-valued alias over the values of ``array``, a JSON array expression."""
    return json_array_values(array, of_objects=of_objects).table_valued("value")


def element_value(values: Any, sub_attribute: str | None, kind: str) -> Any:
    """Return one value of ``values`` (from :func:`array_values`) as SQL of the SCIM type ``kind``.

    ``sub_attribute`` names the member to read from an object value; ``None``
    reads a scalar value. ``kind`` is a SCIM simple type; dateTime and the
    string-like types come back as text.
    """
    if sub_attribute is not None:
        member = type_coerce(values.c.value, JSON)[sub_attribute]
        if kind == "boolean":
            return member.as_boolean()
        if kind == "integer":
            # as_integer() casts to INTEGER, 32 bits on PostgreSQL, while stored
            # values may use the 64 bits that PATCH accepts.
            return cast(member.as_string(), BigInteger)
        if kind == "decimal":
            return member.as_float()
        return member.as_string()

    column = values.c.value
    if kind == "boolean":
        return cast(column, Boolean)
    if kind == "integer":
        return cast(column, BigInteger)
    if kind == "decimal":
        return cast(column, Float)
    return cast(column, String)
