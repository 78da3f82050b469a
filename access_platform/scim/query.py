"""SCIM list queries: filters compiled to SQL, paging by ``startIndex`` and ``count``, sorting.

Filters become SQLAlchemy expressions over the columns and child tables
that hold each attribute; string comparisons follow the attribute's
``caseExact``. Attributes kept as JSON in the ``scim_data`` of users and
groups (extension attributes and core ones without a column) are reached
through the schemas: single-valued ones as JSON values, multi-valued ones
through the values of their JSON array (see :mod:`access_platform.scim.json_sql`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from access_platform.errors import ApiError
from access_platform.groups.models import Group, GroupMember
from access_platform.listing import escape_like
from access_platform.payloads import unacceptable_text
from access_platform.scim.core_schemas import GROUP_SCHEMA_URN, USER_SCHEMA_URN
from access_platform.scim.filter import (
    And,
    AttrPath,
    Compare,
    Expr,
    Not,
    Or,
    Present,
    ScimFilterError,
    ValuePath,
    parse_filter,
    parse_path,
)
from access_platform.scim.json_sql import array_values, element_value, json_instant
from access_platform.scim.patch import (
    MAX_INTEGER,
    MIN_INTEGER,
    ResolvedPath,
    ResourceSchema,
    ScimPatchError,
)
from access_platform.scim.resources_json import GROUP_COLUMN_ATTRIBUTES
from access_platform.scim.schema import ScimAttribute
from access_platform.users.models import User, UserEmail, fold

# Core User attributes stored in columns rather than in users.scim_data.
COLUMN_ATTRIBUTES = frozenset(
    {"userName", "displayName", "name", "emails", "active", "password", "groups", "externalId"}
)

# Page size when the request has no ``count``, lowered to the configured
# maximum (``access_platform.scim.max_count``) when that is smaller.
DEFAULT_COUNT = 100


def invalid_filter(detail: str) -> ApiError:
    return ApiError(400, detail, scim_type="invalidFilter")


def invalid_value(detail: str) -> ApiError:
    return ApiError(400, detail, scim_type="invalidValue")


@dataclass(frozen=True)
class Column:
    """A filterable attribute kept in one column.

    :ivar folded: the column contains ``fold(value)``, so values are folded
        before comparing (the attribute is not case-exact).
    :ivar kind: ``string``, ``boolean``, ``integer``, ``decimal``,
        ``dateTime``, or ``complex`` for a complex value kept in JSON, which
        only ``pr`` applies to.
    :ivar lowered: compare ``lower()`` of the column with the lowered value,
        for attributes kept in JSON that are not case-exact.
    :ivar instant_text: the column is a dateTime kept as RFC 3339 text in
        JSON, so both sides are compared as instants through ``json_instant``.
    """

    column: Any
    folded: bool = False
    kind: str = "string"
    lowered: bool = False
    instant_text: bool = False


def _compare(target: Column, op: str, value: Any) -> ColumnElement[bool]:
    column = target.column
    if isinstance(value, str) and unacceptable_text(value) is not None:
        raise invalid_filter("The filter contains the NUL character or an unpaired surrogate.")
    if target.lowered and isinstance(value, str):
        column = func.lower(column)
        value = value.lower()
    if target.kind in ("integer", "decimal"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid_filter("Numeric attributes compare with a number.")
        if isinstance(value, int) and not MIN_INTEGER <= value <= MAX_INTEGER:
            # SQLite cannot bind a larger integer, and PATCH stores none outside this range.
            raise invalid_filter(
                f"The number in the filter is out of range; use one from {MIN_INTEGER} "
                f"to {MAX_INTEGER}."
            )
        if op in ("co", "sw", "ew"):
            raise invalid_filter(f"Operator {op} applies to strings only.")
    elif target.kind == "boolean":
        if op not in ("eq", "ne") or not isinstance(value, bool):
            raise invalid_filter("Boolean attributes compare only with eq or ne and true or false.")
        if op == "eq":
            return column == value
        # As for other types, a resource without the attribute is "not equal".
        return or_(column != value, column.is_(None))
    elif target.kind == "complex":
        raise invalid_filter(
            "Complex attributes support only pr; compare one of their sub-attributes instead."
        )
    elif target.kind == "dateTime":
        if not isinstance(value, str):
            raise invalid_filter("Timestamps compare with an RFC 3339 string.")
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError("no time zone")
            value = moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise invalid_filter(
                f"{value!r} is not an RFC 3339 timestamp with a time zone, "
                "such as 2026-01-31T00:00:00Z."
            ) from None
        if target.instant_text:
            column = json_instant(column)
            value = json_instant(literal(value.isoformat()))
    elif value is not None and not isinstance(value, str):
        raise invalid_filter("String attributes compare with a string value.")
    if isinstance(value, str) and target.folded:
        value = fold(value)

    if op == "eq":
        return column.is_(None) if value is None else column == value
    if op == "ne":
        return column.is_not(None) if value is None else or_(column != value, column.is_(None))
    if value is None:
        raise invalid_filter(f"Operator {op} needs a value other than null.")
    if op in ("co", "sw", "ew"):
        if not isinstance(value, str):
            raise invalid_filter(f"Operator {op} applies to strings only.")
        escaped = escape_like(value)
        pattern = {"co": f"%{escaped}%", "sw": f"{escaped}%", "ew": f"%{escaped}"}[op]
        return column.like(pattern, escape="\\")
    return {
        "gt": column > value,
        "ge": column >= value,
        "lt": column < value,
        "le": column <= value,
    }[op]


def _present(target: Column) -> ColumnElement[bool]:
    if target.kind == "string":
        return and_(target.column.is_not(None), target.column != "")
    return target.column.is_not(None)


# Builds the condition for a multi-valued attribute from its bracket filter,
# the sub-attribute named after it, and the comparison on that sub-attribute.
MultiValuedBuilder = Callable[
    [Expr | None, str | None, Compare | Present | None], ColumnElement[bool]
]


class FilterCompiler:
    """Compiles a parsed filter for one resource type into a SQL condition."""

    def __init__(
        self,
        core_urn: str,
        columns: Mapping[str, Column],
        multi_valued: Mapping[str, MultiValuedBuilder],
        json_column: Any = None,
        schema: ResourceSchema | None = None,
        column_attributes: frozenset[str] = frozenset(),
    ) -> None:
        """:param column_attributes: core attributes kept in columns, never in ``json_column``."""
        self.core_urn = core_urn.lower()
        self.columns = {name.lower(): column for name, column in columns.items()}
        self.multi_valued = {name.lower(): builder for name, builder in multi_valued.items()}
        self.json_column = json_column
        self.schema = schema
        self.column_attributes = column_attributes

    def with_schema(self, schema: ResourceSchema) -> FilterCompiler:
        """Return a compiler that also reaches the attributes kept as JSON, such as extensions."""
        return type(self)(
            self.core_urn,
            self.columns,
            self.multi_valued,
            self.json_column,
            schema,
            self.column_attributes,
        )

    def compile(self, expression: Expr) -> ColumnElement[bool]:
        if isinstance(expression, And):
            return and_(self.compile(expression.left), self.compile(expression.right))
        if isinstance(expression, Or):
            return or_(self.compile(expression.left), self.compile(expression.right))
        if isinstance(expression, Not):
            return not_(self.compile(expression.expr))
        if isinstance(expression, ValuePath):
            return self._multi_valued(expression.path, expression.filter, None)
        path = expression.path
        if (
            path.value_filter is not None
            or self._name(path, with_sub=False) in self.multi_valued
            or self._json_multi_valued(path) is not None
        ):
            return self._multi_valued(path, path.value_filter, expression)

        target = self._column(path)
        if isinstance(expression, Present):
            return _present(target)
        return _compare(target, expression.op, expression.value)

    def _name(self, path: AttrPath, with_sub: bool = True) -> str:
        name = path.attr.lower()
        if path.uri is not None and path.uri.lower() != self.core_urn:
            # An extension attribute: never a column, at most a JSON value.
            name = f"{path.uri.lower()}:{name}"
        if with_sub and path.sub_attr:
            name += "." + path.sub_attr.lower()
        return name

    def _column(self, path: AttrPath) -> Column:
        name = self._name(path)
        target = self.columns.get(name) or self._json_target(path)
        if target is None:
            shown = f"{path.attr}.{path.sub_attr}" if path.sub_attr else path.attr
            raise invalid_filter(f"Attribute {shown} is unknown or not filterable.")
        return target

    def _json_resolved(self, path: AttrPath) -> ResolvedPath | None:
        """Resolve ``path`` to an attribute kept in ``json_column``, or return ``None``.

        Attributes kept in columns, attributes never returned and unknown
        names give ``None``, as does a path the schemas reject.
        """
        if self.schema is None or self.json_column is None:
            return None
        try:
            resolved = self.schema.resolve(path)
        except ScimPatchError:
            return None
        kept_in_columns = (
            resolved.extension is None and resolved.attribute.name in self.column_attributes
        )
        if kept_in_columns or resolved.schema is None:
            return None
        for attribute in (resolved.attribute, resolved.sub_attribute):
            if attribute is not None and (
                attribute.returned == "never" or attribute.mutability == "writeOnly"
            ):
                return None
        return resolved

    def _json_keys(self, resolved: ResolvedPath) -> tuple[str, ...]:
        keys = [resolved.extension.id] if resolved.extension is not None else []
        keys.append(resolved.attribute.name)
        return tuple(keys)

    def _json_target(self, path: AttrPath) -> Column | None:
        """Return the JSON value holding a single-valued attribute kept in ``scim_data``.

        NOTE: these comparisons use no index, so at scale a filter on such an
        attribute scans the table; ``lower()`` on SQLite folds ASCII only.
        """
        resolved = self._json_resolved(path)
        if resolved is None or resolved.attribute.multi_valued:
            return None
        sub_attribute = resolved.sub_attribute
        leaf = sub_attribute or resolved.attribute
        if leaf.multi_valued:
            return None
        keys = self._json_keys(resolved)
        if sub_attribute is not None:
            keys = (*keys, sub_attribute.name)
        element = self.json_column[keys]
        if leaf.type == "complex":
            return Column(element.as_string(), kind="complex")
        if leaf.type == "boolean":
            return Column(element.as_boolean(), kind="boolean")
        if leaf.type == "integer":
            # as_integer() casts to INTEGER, which is 32 bits on PostgreSQL, while stored
            # values may use the 64 bits that PATCH accepts.
            return Column(cast(element.as_string(), BigInteger), kind="integer")
        if leaf.type == "decimal":
            return Column(element.as_float(), kind="decimal")
        if leaf.type == "dateTime":
            return Column(element.as_string(), kind="dateTime", instant_text=True)
        return Column(element.as_string(), lowered=not leaf.case_exact)

    def _json_multi_valued(self, path: AttrPath) -> ResolvedPath | None:
        """Resolve ``path`` to a multi-valued attribute kept in ``scim_data``, or ``None``."""
        without_filter = AttrPath(path.uri, path.attr, path.sub_attr)
        resolved = self._json_resolved(without_filter)
        if resolved is None or not resolved.attribute.multi_valued:
            return None
        return resolved

    def json_sort_column(self, name: str) -> Any:
        """Return the JSON value to sort by for an attribute kept in ``scim_data``, or ``None``."""
        try:
            target = self._json_target(parse_path(name))
        except ScimFilterError:
            return None
        if target is None or target.kind == "complex":
            return None
        return json_instant(target.column) if target.instant_text else target.column

    def _multi_valued(
        self, path: AttrPath, element_filter: Expr | None, term: Compare | Present | None
    ) -> ColumnElement[bool]:
        name = self._name(path, with_sub=False)
        builder = self.multi_valued.get(name)
        if builder is not None:
            return builder(element_filter, path.sub_attr, term)
        resolved = self._json_multi_valued(path)
        if resolved is None:
            raise invalid_filter(f"Attribute {path.attr} is unknown or not filterable.")
        return self._json_values_condition(resolved, element_filter, term)

    def _json_values_condition(
        self, resolved: ResolvedPath, element_filter: Expr | None, term: Compare | Present | None
    ) -> ColumnElement[bool]:
        """Return EXISTS over the values of a multi-valued attribute kept in ``scim_data``.

        A value matches when it matches the bracket filter and the term. A
        term on the attribute itself compares the ``value`` sub-attribute of
        complex values, as for ``emails``; ``attr pr`` matches any value.
        """
        attribute = resolved.attribute
        of_objects = attribute.type == "complex"
        values = array_values(self.json_column[self._json_keys(resolved)], of_objects=of_objects)
        if of_objects:
            columns = _json_element_columns(values, attribute)
        else:
            columns = {"": _json_element_column(values, None, attribute)}

        conditions: list[ColumnElement[bool]] = []
        if element_filter is not None:
            conditions.append(FilterCompiler("", columns, {}).compile(element_filter))
        # "attr pr" holds when any value exists, so it adds no condition.
        whole_attribute_present = isinstance(term, Present) and resolved.sub_attribute is None
        if term is not None and not whole_attribute_present:
            sub_name = resolved.sub_attribute.name if resolved.sub_attribute else "value"
            target = columns.get(sub_name.lower() if of_objects else "")
            if target is None:
                raise invalid_filter(
                    f"{attribute.name} has no filterable sub-attribute {sub_name}."
                )
            conditions.append(
                _present(target)
                if isinstance(term, Present)
                else _compare(target, term.op, term.value)
            )
        return exists(select(values.c.value).where(*conditions))


def _json_element_column(values: Any, sub_attribute: str | None, leaf: ScimAttribute) -> Column:
    """Return the filter target for one value (or one member of an object value) of an array."""
    column = element_value(values, sub_attribute, leaf.type)
    if leaf.type in ("boolean", "integer", "decimal"):
        return Column(column, kind=leaf.type)
    if leaf.type == "dateTime":
        return Column(column, kind="dateTime", instant_text=True)
    return Column(column, lowered=not leaf.case_exact)


def _json_element_columns(values: Any, attribute: ScimAttribute) -> dict[str, Column]:
    """Return the filter targets for the simple, returned sub-attributes of a complex attribute."""
    return {
        sub_attribute.name.lower(): _json_element_column(values, sub_attribute.name, sub_attribute)
        for sub_attribute in attribute.sub_attributes
        if sub_attribute.type != "complex"
        and not sub_attribute.multi_valued
        and sub_attribute.returned != "never"
        and sub_attribute.mutability != "writeOnly"
    }


# --- Users -------------------------------------------------------------------------------

USER_COLUMNS = {
    "id": Column(User.id),
    "userName": Column(User.user_name_folded, folded=True),
    "displayName": Column(User.display_name_folded, folded=True),
    "externalId": Column(User.external_id),
    "name.givenName": Column(User.given_name, lowered=True),
    "name.familyName": Column(User.family_name, lowered=True),
    "meta.created": Column(User.created_at, kind="dateTime"),
    "meta.lastModified": Column(User.updated_at, kind="dateTime"),
}

EMAIL_COLUMNS = {
    "value": Column(UserEmail.value_folded, folded=True),
    "type": Column(UserEmail.type, lowered=True),
    "primary": Column(UserEmail.primary, kind="boolean"),
    "display": Column(UserEmail.display),
}


def _email_condition(
    element_filter: Expr | None, sub_attr: str | None, term: Compare | Present | None
) -> ColumnElement[bool]:
    """Return whether the user has an email row matching the bracket filter and the term.

    The condition is ``users.id IN (SELECT user_id ...)`` rather than a
    correlated EXISTS, so that SQLite looks the addresses up through
    ``ix_user_emails_value_folded`` instead of probing every user's rows.
    """
    conditions: list[ColumnElement[bool]] = []
    element_compiler = FilterCompiler("", EMAIL_COLUMNS, {})
    if element_filter is not None:
        conditions.append(element_compiler.compile(element_filter))
    if term is not None:
        sub = (sub_attr or "value").lower()
        target = element_compiler.columns.get(sub)
        if target is None:
            raise invalid_filter(f"emails has no sub-attribute {sub_attr}.")
        if isinstance(term, Present):
            conditions.append(_present(target))
        else:
            conditions.append(_compare(target, term.op, term.value))
    return User.id.in_(select(UserEmail.user_id).where(*conditions))


class UserFilterCompiler(FilterCompiler):
    def compile(self, expression: Expr) -> ColumnElement[bool]:
        if isinstance(expression, Compare) and self._is_active(expression.path):
            value = expression.value
            if expression.op not in ("eq", "ne") or not isinstance(value, bool):
                raise invalid_filter("active compares only with eq or ne and true or false.")
            wanted = value if expression.op == "eq" else not value
            return User.status == "active" if wanted else User.status != "active"
        if isinstance(expression, Present) and self._is_active(expression.path):
            return true()
        return super().compile(expression)

    def _is_active(self, path: AttrPath) -> bool:
        return (
            path.attr.lower() == "active"
            and path.sub_attr is None
            and path.value_filter is None
            and (path.uri is None or path.uri.lower() == self.core_urn)
        )


USER_FILTERS = UserFilterCompiler(
    USER_SCHEMA_URN,
    USER_COLUMNS,
    {"emails": _email_condition},
    json_column=User.scim_data,
    column_attributes=COLUMN_ATTRIBUTES,
)

USER_SORT = {
    "id": User.id,
    "username": User.user_name_folded,
    "name.givenname": User.given_name,
    "name.familyname": User.family_name,
    "displayname": User.display_name_folded,
    "externalid": User.external_id,
    "meta.created": User.created_at,
    "meta.lastmodified": User.updated_at,
}


# --- Groups ------------------------------------------------------------------------------

GROUP_COLUMNS = {
    "id": Column(Group.id),
    "displayName": Column(Group.display_name_folded, folded=True),
    "externalId": Column(Group.external_id),
    "meta.created": Column(Group.created_at, kind="dateTime"),
    "meta.lastModified": Column(Group.updated_at, kind="dateTime"),
}
MEMBER_COLUMNS = {"value": Column(GroupMember.member_id)}


def _member_condition(
    element_filter: Expr | None, sub_attr: str | None, term: Compare | Present | None
) -> ColumnElement[bool]:
    """Return whether the group has a member row matching the bracket filter and the term.

    As for emails, ``groups.id IN (SELECT group_id ...)`` lets a lookup by
    member id use ``ix_group_members_member_id``.
    """
    conditions: list[ColumnElement[bool]] = []
    element_compiler = FilterCompiler("", MEMBER_COLUMNS, {})
    if element_filter is not None:
        conditions.append(element_compiler.compile(element_filter))
    if term is not None:
        sub = (sub_attr or "value").lower()
        target = element_compiler.columns.get(sub)
        if target is None:
            raise invalid_filter(f"members has no filterable sub-attribute {sub_attr}.")
        conditions.append(
            _present(target) if isinstance(term, Present) else _compare(target, term.op, term.value)
        )
    return Group.id.in_(select(GroupMember.group_id).where(*conditions))


GROUP_FILTERS = FilterCompiler(
    GROUP_SCHEMA_URN,
    GROUP_COLUMNS,
    {"members": _member_condition},
    json_column=Group.scim_data,
    column_attributes=GROUP_COLUMN_ATTRIBUTES,
)

GROUP_SORT = {
    "id": Group.id,
    "displayname": Group.display_name_folded,
    "externalid": Group.external_id,
    "meta.created": Group.created_at,
    "meta.lastmodified": Group.updated_at,
}


# --- Parameters --------------------------------------------------------------------------


@dataclass(frozen=True)
class ListParameters:
    condition: ColumnElement[bool] | None
    start_index: int
    count: int
    sort_column: Any
    descending: bool
    attributes: tuple[str, ...]
    excluded_attributes: tuple[str, ...]


def _integer(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise invalid_value(f"{name} must be an integer.")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise invalid_value(f"{name} must be an integer, got {value!r}.") from None


def attribute_names(params: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = params.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list) and all(isinstance(part, str) for part in value):
        parts = value
    else:
        raise invalid_value(f"{name} must be a list of attribute names.")
    return tuple(part.strip() for part in parts if part.strip())


@dataclass(frozen=True)
class ListLimits:
    """The configured bounds of SCIM list requests.

    :ivar max_count: the largest page; a larger ``count`` is lowered to it.
    :ivar max_filter_length: the longest ``filter`` in characters; a longer
        one gets 400 ``invalidFilter``.
    """

    max_count: int
    max_filter_length: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ListLimits:
        return cls(
            settings["access_platform.scim.max_count"],
            settings["access_platform.scim.max_filter_length"],
        )


def list_parameters(
    params: Mapping[str, Any],
    compiler: FilterCompiler,
    sort_columns: Mapping[str, Any],
    id_column: Any,
    limits: ListLimits,
) -> ListParameters:
    """Read ``filter``, ``startIndex``, ``count``, ``sortBy``, ``sortOrder``, ``attributes``
    and ``excludedAttributes`` from query parameters or a ``/.search`` body.

    ``startIndex`` below 1 counts as 1 and a negative ``count`` as 0, as RFC
    7644 section 3.4.2.4 requires; a ``count`` above ``limits.max_count`` is
    lowered to it, which the same section allows. A value that is not an
    integer gets 400 ``invalidValue``, and a filter longer than
    ``limits.max_filter_length`` 400 ``invalidFilter``.
    """
    condition = None
    filter_text = params.get("filter")
    if filter_text is not None:
        if not isinstance(filter_text, str):
            raise invalid_filter("filter must be a string.")
        try:
            condition = compiler.compile(parse_filter(filter_text, limits.max_filter_length))
        except ScimFilterError as error:
            raise invalid_filter(f"The filter is invalid: {error}") from None

    start_index = _integer(params, "startIndex")
    start_index = 1 if start_index is None or start_index < 1 else start_index
    # Past every possible row, and small enough for any database's OFFSET.
    start_index = min(start_index, 2**62)
    count = _integer(params, "count")
    if count is None:
        count = min(DEFAULT_COUNT, limits.max_count)
    else:
        count = min(max(count, 0), limits.max_count)

    sort_by = params.get("sortBy")
    sort_column = id_column
    if sort_by:
        sort_column = sort_columns.get(str(sort_by).lower().removeprefix(compiler.core_urn + ":"))
        if sort_column is None:
            sort_column = compiler.json_sort_column(str(sort_by))
        if sort_column is None:
            raise invalid_value(
                f"sortBy {sort_by!r} is not sortable; use one of {', '.join(sorted(sort_columns))}."
            )
    sort_order = params.get("sortOrder")
    if sort_order is None or sort_order == "":
        sort_order = "ascending"
    if not isinstance(sort_order, str):
        raise invalid_value("sortOrder must be ascending or descending.")
    sort_order = sort_order.lower()
    if sort_order not in ("ascending", "descending"):
        raise invalid_value("sortOrder must be ascending or descending.")

    return ListParameters(
        condition,
        start_index,
        count,
        sort_column,
        sort_order == "descending",
        attribute_names(params, "attributes"),
        attribute_names(params, "excludedAttributes"),
    )
