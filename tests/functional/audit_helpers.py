"""Helpers shared by the audit trail tests."""

from __future__ import annotations

from typing import Any

from access_platform.audit.models import NewAuditEvent
from access_platform.db import new_id, utcnow

AUDIT = "/api/v1/auditEvents"
REDACTED = "[redacted]"


def audit_events(testapp: Any, headers: dict[str, str], **filters: str) -> list[dict[str, Any]]:
    """Return every event matching ``filters``, newest first, following cursors to the end."""
    events: list[dict[str, Any]] = []
    params = dict(filters)
    while True:
        body = testapp.get(AUDIT, params, headers=headers).json
        events.extend(body["items"])
        if body["next_cursor"] is None:
            return events
        params["cursor"] = body["next_cursor"]


def actions(events: list[dict[str, Any]]) -> list[str]:
    """Return the actions of ``events`` in the order recorded, oldest first."""
    return [event["action"] for event in reversed(events)]


def only_event(testapp: Any, headers: dict[str, str], **filters: str) -> dict[str, Any]:
    """Return the one event matching ``filters``; fail when there are none or several."""
    events = audit_events(testapp, headers, **filters)
    assert len(events) == 1, f"expected one event for {filters}, got {actions(events)}"
    return events[0]


def command_line_event(action: str) -> NewAuditEvent:
    """Return a new event of ``action`` by the command line, for tests of the audit buffer."""
    return NewAuditEvent(
        id=new_id(),
        occurred_at=utcnow(),
        actor_type="cli",
        actor_id=None,
        auth_method="cli",
        credential_id=None,
        action=action,
        target_type="test",
        target_id="1",
        changes={},
        request_id=None,
        client_address=None,
    )
