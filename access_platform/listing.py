"""Collection responses: query parameters, keyset paging, and the list envelope.

Every ``/api/v1`` collection answers ``{"items": [...], "next_cursor": ...}``,
with ``total`` added when the client sends ``count=true``. Paging is
keyset-based: the cursor carries the sort key and id of the last item
returned, and the next page starts strictly after it. Rows added while a
client pages therefore never shift the pages it has not read yet.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from access_platform.errors import ApiError, problem_type

# Page size when the request has no ``limit``, lowered to the configured
# maximum (``access_platform.list.max_limit``) when that is smaller.
DEFAULT_LIMIT = 100
INVALID_QUERY_PARAMETER = problem_type("invalid-query-parameter")


def invalid_parameter(name: str, detail: str) -> ApiError:
    """Return the 400 for an invalid query parameter ``name``."""
    return ApiError(
        400,
        f"Query parameter {name} is invalid: {detail}",
        type=INVALID_QUERY_PARAMETER,
        title="Invalid query parameter",
        scim_type="invalidValue",
        extensions={"errors": [{"parameter": name, "detail": detail}]},
    )


def max_limit(request: Any) -> int:
    """Return the largest ``limit`` that lists accept, from ``access_platform.list.max_limit``."""
    return request.registry.settings["access_platform.list.max_limit"]


def _decode_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


@dataclass(frozen=True)
class SortKey:
    """A documented sort field: the column it orders by and how cursor values decode.

    ``decode`` raises ``ValueError`` for a value of the wrong kind, because a
    cursor comes back from the client and may have been altered.
    """

    column: InstrumentedAttribute[Any]
    decode: Callable[[Any], Any] = _decode_string


def _decode_datetime(value: Any) -> datetime:
    moment = datetime.fromisoformat(_decode_string(value))
    if moment.tzinfo is None:
        raise ValueError("expected a timestamp with a time zone")
    return moment


def datetime_sort_key(column: InstrumentedAttribute[Any]) -> SortKey:
    return SortKey(column, _decode_datetime)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None
    total: int | None


@dataclass(frozen=True)
class ListQuery:
    """The paging and sorting parameters of one list request."""

    limit: int
    sort: str
    descending: bool
    after: tuple[Any, str] | None
    count: bool

    @classmethod
    def from_request(
        cls,
        params: Mapping[str, str],
        sort_keys: Mapping[str, SortKey],
        default_sort: str,
        allowed_parameters: set[str],
        *,
        max_limit: int,
    ) -> ListQuery:
        """Parse ``limit``, ``cursor``, ``sort`` and ``count``, and reject unknown parameters.

        :param max_limit: the largest ``limit`` accepted; see :func:`max_limit`.
        :raises ApiError: 400 naming the parameter, including a ``limit``
            above ``max_limit``.
        """
        for name in params:
            if name not in allowed_parameters | {"limit", "cursor", "sort", "count"}:
                known = ", ".join(sorted(allowed_parameters | {"limit", "cursor", "sort", "count"}))
                raise invalid_parameter(name, f"unknown parameter; known parameters are {known}.")

        limit = _parse_limit(params.get("limit"), max_limit)
        sort_text = params.get("sort", default_sort)
        descending = sort_text.startswith("-")
        sort = sort_text.removeprefix("-")
        if sort not in sort_keys:
            known = ", ".join(sorted(sort_keys))
            raise invalid_parameter(
                "sort",
                f"{sort_text!r} is not sortable; use one of {known}, "
                "optionally prefixed with - for descending order.",
            )

        count_text = params.get("count", "false").lower()
        if count_text not in ("true", "false"):
            raise invalid_parameter("count", "expected true or false.")

        after = None
        if "cursor" in params:
            after = _decode_cursor(params["cursor"], sort_text, sort_keys[sort])

        return cls(limit, sort, descending, after, count_text == "true")

    def cursor_for(self, sort_value: Any, row_id: str) -> str:
        if isinstance(sort_value, datetime):
            sort_value = sort_value.isoformat()
        sort_text = f"-{self.sort}" if self.descending else self.sort
        payload = json.dumps([sort_text, sort_value, row_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _parse_limit(text: str | None, max_limit: int) -> int:
    if text is None:
        return min(DEFAULT_LIMIT, max_limit)
    expected = f"expected an integer from 1 to {max_limit}"
    try:
        limit = int(text)
    except ValueError:
        raise invalid_parameter("limit", f"{expected}.") from None
    if not 1 <= limit <= max_limit:
        raise invalid_parameter("limit", f"{expected}, got {limit}.")
    return limit


def _decode_cursor(text: str, sort_text: str, sort_key: SortKey) -> tuple[Any, str]:
    try:
        padded = text + "=" * (-len(text) % 4)
        cursor_sort, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        decoded = sort_key.decode(value)
        row_id = _decode_string(row_id)
        for part in (decoded, row_id):
            # An altered cursor could smuggle text no database accepts.
            if isinstance(part, str) and (
                "\x00" in part or part != part.encode("utf-8", "replace").decode("utf-8")
            ):
                raise ValueError("unacceptable characters")
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise invalid_parameter("cursor", "not a cursor this server issued.") from None
    if cursor_sort != sort_text:
        raise invalid_parameter(
            "cursor", "it was issued for another sort order; keep sort unchanged while paging."
        )
    return decoded, row_id


def fetch_page(
    dbsession: Session,
    statement: Select[Any],
    query: ListQuery,
    sort_keys: Mapping[str, SortKey],
    id_column: InstrumentedAttribute[Any],
) -> Page:
    """Run ``statement`` (a select of one entity, filters applied) for one page.

    The page is ordered by the sort column and then the id, which makes the
    order total, so the cursor position is unambiguous.
    """
    sort_column = sort_keys[query.sort].column
    total = None
    if query.count:
        total = dbsession.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())
        )

    if query.after is not None:
        value, row_id = query.after
        # The first condition alone bounds an index scan on the sort column;
        # PostgreSQL does not derive it from the OR that follows.
        if query.descending:
            statement = statement.where(
                sort_column <= value,
                or_(sort_column < value, and_(sort_column == value, id_column < row_id)),
            )
        else:
            statement = statement.where(
                sort_column >= value,
                or_(sort_column > value, and_(sort_column == value, id_column > row_id)),
            )

    if query.descending:
        statement = statement.order_by(sort_column.desc(), id_column.desc())
    else:
        statement = statement.order_by(sort_column.asc(), id_column.asc())

    rows = list(dbsession.scalars(statement.limit(query.limit + 1)))
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        next_cursor = query.cursor_for(getattr(last, sort_column.key), getattr(last, id_column.key))
    return Page(rows, next_cursor, total)


def envelope(items: list[Any], next_cursor: str | None, total: int | None = None) -> dict[str, Any]:
    """Return the list envelope shared by every collection."""
    body: dict[str, Any] = {"items": items, "next_cursor": next_cursor}
    if total is not None:
        body["total"] = total
    return body


def escape_like(text: str) -> str:
    """Escape ``text`` for use as a LIKE prefix with ``escape='\\\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
