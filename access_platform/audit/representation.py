"""The JSON form of an audit event, shared by the API and the audit hook."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from access_platform.audit.models import AuditEvent, NewAuditEvent


def event_json(event: AuditEvent | NewAuditEvent) -> dict[str, Any]:
    """Return ``event`` as ``GET /api/v1/auditEvents/{id}`` shows it, ready for ``json.dumps``."""
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "action": event.action,
        "actor": {
            "type": event.actor_type,
            "id": event.actor_id,
            "auth_method": event.auth_method,
            "credential_id": event.credential_id,
        },
        "target": {"type": event.target_type, "id": event.target_id},
        "changes": event.changes,
        "request_id": event.request_id,
        "client_address": event.client_address,
    }
