"""``/api/v1/auditEvents``: the audit trail, read-only."""

from __future__ import annotations

from typing import Any

from access_platform.audit.models import AuditEvent
from access_platform.traversal import Resource


class AuditEventResource(Resource):
    """One audit event; ``self.event`` is the loaded row."""

    def __init__(self, request: Any, name: str, parent: Resource, event: AuditEvent) -> None:
        super().__init__(request, name, parent)
        self.event = event


class AuditEventCollection(Resource):
    """Every audit event. A child name is an event id."""

    def __getitem__(self, event_id: str) -> AuditEventResource:
        event = self.request.dbsession.get(AuditEvent, event_id)
        if event is None:
            raise KeyError(event_id)
        return AuditEventResource(self.request, event_id, self, event)
