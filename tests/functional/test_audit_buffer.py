"""The audit buffer: events wait for the outermost commit and follow savepoint rollbacks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from access_platform.audit import buffer
from access_platform.audit.models import AuditEvent
from access_platform.db import new_id, session_scope, utcnow


def _event(action: str) -> AuditEvent:
    return AuditEvent(
        id=new_id(),
        occurred_at=utcnow(),
        actor_type="cli",
        actor_id="cli",
        auth_method="cli",
        action=action,
        target_type="test",
        target_id="1",
        changes={},
    )


def _stored_actions(registry) -> list[str]:
    with session_scope(registry.db_session_factory) as dbsession:
        statement = sa.select(AuditEvent.action).order_by(AuditEvent.action)
        return list(dbsession.scalars(statement))


def test_events_follow_their_savepoints(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        dbsession.connection()
        buffer.add(dbsession, _event("a.kept"))
        with dbsession.begin_nested():
            buffer.add(dbsession, _event("b.released"))
        failed = dbsession.begin_nested()
        buffer.add(dbsession, _event("c.rolled_back"))
        failed.rollback()
        outer = dbsession.begin_nested()
        with dbsession.begin_nested():
            buffer.add(dbsession, _event("d.inside_rolled_back_outer"))
        outer.rollback()
        with dbsession.begin_nested():
            buffer.add(dbsession, _event("e.last"))

        # Nothing is inserted before the outermost commit.
        assert dbsession.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0

    assert _stored_actions(registry) == ["a.kept", "b.released", "e.last"]


def test_rolled_back_transaction_inserts_nothing(registry):
    with pytest.raises(RuntimeError), session_scope(registry.db_session_factory) as dbsession:
        buffer.add(dbsession, _event("never"))
        raise RuntimeError("abort")

    with session_scope(registry.db_session_factory) as dbsession:
        buffer.add(dbsession, _event("next"))

    assert _stored_actions(registry) == ["next"]
