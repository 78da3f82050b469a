"""Validating a batch request envelope and ordering its items by ``dependsOn``.

Whole-batch errors are found here, before anything runs: a malformed
envelope, missing or duplicate ids, a ``dependsOn`` naming an unknown id,
or dependencies that form a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from access_platform.errors import ApiError, validation_error
from access_platform.idempotency import HEADER as IDEMPOTENCY_HEADER

ITEM_FIELDS = frozenset({"id", "method", "url", "headers", "body", "dependsOn"})


@dataclass(frozen=True)
class BatchItem:
    """One subrequest of a batch, as the client sent it."""

    id: str
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    depends_on: tuple[str, ...] = ()


def parse_envelope(data: Any, max_requests: int) -> list[BatchItem]:
    """Return the batch items of ``data`` in request order.

    :raises ApiError: 422 naming each invalid item or field, or 413 when
        there are more than ``max_requests`` items.
    """
    if (
        not isinstance(data, dict)
        or set(data) != {"requests"}
        or not isinstance(data["requests"], list)
    ):
        raise validation_error(
            [
                {
                    "pointer": "#/requests",
                    "detail": "Send an object whose only member, requests, is an array.",
                }
            ]
        )
    raw_items = data["requests"]
    if not raw_items:
        raise validation_error([{"pointer": "#/requests", "detail": "The batch has no requests."}])
    if len(raw_items) > max_requests:
        raise ApiError(
            413,
            f"The batch has {len(raw_items)} requests; the maximum is {max_requests}.",
            extensions={"max_requests": max_requests},
        )

    errors: list[dict[str, str]] = []
    items = [_parse_item(raw, index, errors) for index, raw in enumerate(raw_items)]
    if errors:
        raise validation_error(errors)

    _check_ids(items)
    return items


def _parse_item(raw: Any, index: int, errors: list[dict[str, str]]) -> BatchItem | None:
    pointer = f"#/requests/{index}"
    if not isinstance(raw, dict):
        errors.append({"pointer": pointer, "detail": "Each request must be an object."})
        return None

    for name in sorted(set(raw) - ITEM_FIELDS):
        errors.append({"pointer": f"{pointer}/{name}", "detail": "Unknown field."})
    for name in ("id", "method", "url"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            errors.append(
                {"pointer": f"{pointer}/{name}", "detail": "Required: a non-empty string."}
            )

    headers = raw.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in headers.items()
    ):
        errors.append({"pointer": f"{pointer}/headers", "detail": "Must be an object of strings."})
        headers = {}

    depends_on = raw.get("dependsOn", [])
    if not isinstance(depends_on, list) or not all(isinstance(value, str) for value in depends_on):
        errors.append(
            {"pointer": f"{pointer}/dependsOn", "detail": "Must be an array of request ids."}
        )
        depends_on = []

    if any(error["pointer"].startswith(pointer) for error in errors):
        return None
    return BatchItem(
        id=raw["id"],
        method=raw["method"].upper(),
        url=raw["url"],
        headers=headers,
        body=raw.get("body"),
        has_body="body" in raw,
        depends_on=tuple(depends_on),
    )


def _check_ids(items: list[BatchItem]) -> None:
    seen: set[str] = set()
    repeated: set[str] = set()
    for item in items:
        if item.id in seen:
            repeated.add(item.id)
        seen.add(item.id)
    duplicates = sorted(repeated)
    if duplicates:
        raise _id_problem(
            f"Request ids must be unique; repeated: {', '.join(duplicates)}.", duplicates
        )

    unknown = sorted({dependency for item in items for dependency in item.depends_on} - seen)
    if unknown:
        raise _id_problem(
            f"dependsOn names requests that are not in the batch: {', '.join(unknown)}.", unknown
        )


def check_idempotency_keys(items: list[BatchItem], batch_key: str | None) -> None:
    """Reject items that send the batch's own ``Idempotency-Key``.

    Keys are kept per caller, so an item with the batch's key would find
    the batch's record and could never run.

    :raises ApiError: 422 naming those items.
    """
    if batch_key is None:
        return
    clashing = [
        item.id
        for item in items
        if any(
            name.lower() == IDEMPOTENCY_HEADER.lower() and value == batch_key
            for name, value in item.headers.items()
        )
    ]
    if clashing:
        detail = (
            f"Requests {', '.join(clashing)} send the batch's own {IDEMPOTENCY_HEADER}. "
            "Give each item a key of its own."
        )
        raise _id_problem(detail, clashing)


def execution_order(items: list[BatchItem]) -> list[BatchItem]:
    """Return ``items`` so that each comes after everything it depends on.

    Items keep their request order where dependencies allow (Kahn's
    algorithm, always taking the earliest ready item).

    :raises ApiError: 422 naming the ids that form a dependency cycle.
    """
    remaining = {item.id: set(item.depends_on) for item in items}
    ordered: list[BatchItem] = []
    while remaining:
        ready = [item for item in items if item.id in remaining and not remaining[item.id]]
        if not ready:
            cycle = sorted(remaining)
            raise _id_problem(f"dependsOn forms a cycle among requests {', '.join(cycle)}.", cycle)
        item = ready[0]
        ordered.append(item)
        del remaining[item.id]
        for dependencies in remaining.values():
            dependencies.discard(item.id)
    return ordered


def _id_problem(detail: str, ids: list[str]) -> ApiError:
    error = validation_error([{"pointer": "#/requests", "detail": detail}], detail=detail)
    error.extensions["request_ids"] = ids
    return error
