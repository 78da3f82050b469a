"""``/api/v1/auditEvents``: the audit trail, read-only."""

from __future__ import annotations

from typing import Any

from access_platform.audit.models import AuditEvent
from access_platform.traversal import Collection, Resource


class AuditEventResource(Resource):
    """One audit event; ``self.event`` is the loaded row."""

    def __init__(self, request: Any, name: str, parent: Resource, event: AuditEvent) -> None:
        super().__init__(request, name, parent)
        self.event = event


class AuditEventCollection(Collection):
    """Every audit event. A child name is an event id."""

    model = AuditEvent
    item_resource = AuditEventResource
    item_parameter = "eventId"
