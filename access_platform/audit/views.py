"""Views for ``/api/v1/auditEvents``: list and read, and nothing that writes.

A POST, PUT, PATCH or DELETE here finds no view and gets 405 with
``Allow: GET, HEAD``, because events are append-only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pyramid.view import view_config
from sqlalchemy import Select, select

from access_platform.audit.models import AuditEvent
from access_platform.audit.representation import event_json
from access_platform.audit.resources import AuditEventCollection, AuditEventResource
from access_platform.listing import (
    ListQuery,
    datetime_sort_key,
    envelope,
    fetch_page,
    invalid_parameter,
    max_limit,
)
from access_platform.responses import query_params

READ = "audit.read"
EVENT_SORT_KEYS = {"occurred_at": datetime_sort_key(AuditEvent.occurred_at)}
# Query parameter to the column it matches exactly; each has an index.
EXACT_FILTERS = {
    "actor_id": AuditEvent.actor_id,
    "credential_id": AuditEvent.credential_id,
    "action": AuditEvent.action,
    "target_type": AuditEvent.target_type,
    "target_id": AuditEvent.target_id,
    "request_id": AuditEvent.request_id,
}
TIME_FILTERS = ("since", "until")


def _timestamp(params: dict[str, str], name: str) -> datetime | None:
    text = params.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid_parameter(
            name, "expected an RFC 3339 timestamp, such as 2027-01-31T09:00:00Z."
        ) from None
    if moment.tzinfo is None:
        raise invalid_parameter(name, "the timestamp needs a time zone, such as Z for UTC.")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise invalid_parameter(name, "the timestamp is out of range.") from None


def filtered_events(params: dict[str, str]) -> Select[Any]:
    """Return the select of events matching the filters; ``since`` counts, ``until`` does not."""
    statement = select(AuditEvent)
    for name, column in EXACT_FILTERS.items():
        if name in params:
            statement = statement.where(column == params[name])
    since = _timestamp(params, "since")
    if since is not None:
        statement = statement.where(AuditEvent.occurred_at >= since)
    until = _timestamp(params, "until")
    if until is not None:
        statement = statement.where(AuditEvent.occurred_at < until)
    return statement


@view_config(context=AuditEventCollection, request_method="GET", permission=READ, renderer="json")
def list_events(context: AuditEventCollection, request: Any) -> dict[str, Any]:
    """List events, newest first unless ``sort=occurred_at``."""
    params = query_params(request)
    query = ListQuery.from_request(
        params,
        EVENT_SORT_KEYS,
        "-occurred_at",
        set(EXACT_FILTERS) | set(TIME_FILTERS),
        max_limit=max_limit(request),
    )
    statement = filtered_events(params)
    page = fetch_page(request.dbsession, statement, query, EVENT_SORT_KEYS, AuditEvent.id)
    return envelope([event_json(event) for event in page.items], page.next_cursor, page.total)


@view_config(context=AuditEventResource, request_method="GET", permission=READ, renderer="json")
def get_event(context: AuditEventResource, request: Any) -> dict[str, Any]:
    return event_json(context.event)
