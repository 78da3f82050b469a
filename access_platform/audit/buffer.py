"""Audit events waiting for their transaction to commit, then inserted in one statement.

Recording an event adds it to a list kept on the session, tagged with the
savepoint that was open at the time. When a savepoint rolls back (a failed
``$batch`` item), the events recorded inside it are dropped; when the whole
transaction rolls back, all are. Just before the outermost commit, the
events left are inserted together. A request or a batch of any size thus
pays for one INSERT rather than one per change, and the events still
commit or roll back with the changes they describe.
"""

from __future__ import annotations

from dataclasses import dataclass

import zope.sqlalchemy
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from access_platform.audit.models import AuditEvent, NewAuditEvent

BUFFER_KEY = "access_platform.audit_buffer"
# Session.info key under which the events of the last commit wait for delivery.
COMMITTED_KEY = "access_platform.audit_committed"


@dataclass
class _Pending:
    event: NewAuditEvent | AuditEvent
    # The innermost transaction or savepoint open when the event was recorded.
    transaction: SessionTransaction


def add(dbsession: Session, audit_event: NewAuditEvent | AuditEvent) -> None:
    """Keep ``audit_event`` until the session's transaction commits or rolls back."""
    # A transaction must be open for the events to have one to commit with.
    if dbsession.get_transaction() is None:
        dbsession.connection()
    innermost = dbsession.get_nested_transaction() or dbsession.get_transaction()
    dbsession.info.setdefault(BUFFER_KEY, []).append(_Pending(audit_event, innermost))
    # The transaction manager commits only sessions marked as changed.
    zope.sqlalchemy.mark_changed(dbsession)


def mark(dbsession: Session) -> int:
    """Return a position in the session's waiting events, for :func:`discard_since`."""
    return len(dbsession.info.get(BUFFER_KEY, ()))


def discard_since(dbsession: Session, position: int) -> None:
    """Drop the events recorded after :func:`mark` returned ``position``.

    For savepoints kept without a nested session transaction, such as a
    ``$batch`` item's, because their rollback fires no session event.
    """
    pending = dbsession.info.get(BUFFER_KEY)
    if pending:
        del pending[position:]


def _inside(transaction: SessionTransaction, ended: SessionTransaction) -> bool:
    node: SessionTransaction | None = transaction
    while node is not None:
        if node is ended:
            return True
        node = node.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(BUFFER_KEY)
    if pending:
        pending[:] = [
            item for item in pending if not _inside(item.transaction, previous_transaction)
        ]


@event.listens_for(Session, "before_commit")
def _insert_pending(session: Session) -> None:
    # Savepoint commits keep their events waiting for the outermost commit.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(BUFFER_KEY, None)
    if not pending:
        return

    table = AuditEvent.__table__
    rows = [
        {column.key: getattr(item.event, column.key) for column in table.columns}
        for item in pending
    ]
    session.connection().execute(table.insert(), rows)
    session.info[COMMITTED_KEY] = [item.event for item in pending]


def take_committed(session: Session) -> list[NewAuditEvent | AuditEvent]:
    """Return and forget the events that the session's last commit inserted."""
    return session.info.pop(COMMITTED_KEY, [])
