"""Pages of the permission catalogue, which lives in memory rather than in the database."""

from __future__ import annotations

from typing import Any

from access_platform.listing import ListQuery, SortKey, envelope
from access_platform.rbac.permissions import Permission
from access_platform.rbac.representation import permission_json

# The catalogue is not a table, so its sort keys name attributes of
# Permission rather than columns.
PERMISSION_SORT_KEYS = {"name": SortKey(None), "resource": SortKey(None)}  # type: ignore[arg-type]


def _sort_value(permission: Permission, sort: str) -> tuple[str, str]:
    return (getattr(permission, sort), permission.name)


def permissions_page(
    catalogue: dict[str, Permission], params: dict[str, str], max_limit: int
) -> dict[str, Any]:
    """Return one page of the catalogue, filtered by ``resource``, ``plugin`` and ``q``."""
    query = ListQuery.from_request(
        params, PERMISSION_SORT_KEYS, "name", {"resource", "plugin", "q"}, max_limit=max_limit
    )
    permissions = list(catalogue.values())
    if "resource" in params:
        permissions = [item for item in permissions if item.resource == params["resource"]]
    if "plugin" in params:
        permissions = [item for item in permissions if item.plugin == params["plugin"]]
    if params.get("q"):
        needle = params["q"].casefold()
        permissions = [
            item
            for item in permissions
            if needle in item.name.casefold() or needle in item.description.casefold()
        ]

    permissions.sort(key=lambda item: _sort_value(item, query.sort), reverse=query.descending)
    total = len(permissions)
    if query.after is not None:
        after = tuple(query.after)
        permissions = [
            item
            for item in permissions
            if (
                _sort_value(item, query.sort) < after
                if query.descending
                else _sort_value(item, query.sort) > after
            )
        ]

    page = permissions[: query.limit]
    next_cursor = None
    if len(permissions) > query.limit:
        last = page[-1]
        next_cursor = query.cursor_for(getattr(last, query.sort), last.name)
    return envelope(
        [permission_json(item) for item in page], next_cursor, total if query.count else None
    )
