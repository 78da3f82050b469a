"""The audit event table, and the events that wait to be inserted into it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from access_platform.db import Base, UTCDateTime, new_id, utcnow


class AuditEvent(Base):
    """One change: who made it, to what, which fields, and from which request.

    Rows are only ever inserted. Each filter of ``GET /api/v1/auditEvents``
    has an index that ends in ``(occurred_at, id)``, so a filtered page
    comes out of the index in newest-first order.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_occurred_at", "occurred_at", "id"),
        Index("ix_audit_events_actor_id", "actor_id", "occurred_at", "id"),
        Index("ix_audit_events_credential_id", "credential_id", "occurred_at", "id"),
        Index("ix_audit_events_action", "action", "occurred_at", "id"),
        Index("ix_audit_events_target_type", "target_type", "occurred_at", "id"),
        Index("ix_audit_events_target_id", "target_id", "occurred_at", "id"),
        Index("ix_audit_events_request_id", "request_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "user", "scim_token" or "cli"; plugin auth methods may add others.
    actor_type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    auth_method: Mapped[str] = mapped_column(String(64))
    # The API key, session, SCIM token or invitation that authenticated the change.
    credential_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    # Field name to new value; secret fields carry a redaction marker instead.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Request ids are at most 128 characters; a $batch item appends "/<item id>".
    request_id: Mapped[str | None] = mapped_column(String(255))
    client_address: Mapped[str | None] = mapped_column(String(64))


@dataclass(slots=True)
class NewAuditEvent:
    """The values of an ``audit_events`` row that its transaction has not inserted yet.

    Recording an event builds one of these rather than an
    :class:`AuditEvent`: the audit buffer inserts the rows with one Core
    statement, so the ORM's instrumentation would only cost time.
    """

    id: str
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    auth_method: str
    credential_id: str | None
    action: str
    target_type: str
    target_id: str
    changes: dict[str, Any]
    request_id: str | None
    client_address: str | None
