"""The audit buffer: events wait for the outermost commit and follow savepoint rollbacks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from access_platform.audit import buffer
from access_platform.audit.models import AuditEvent
from access_platform.db import session_scope
from tests.functional.audit_helpers import command_line_event


def _stored_actions(registry) -> list[str]:
    with session_scope(registry.db_session_factory) as dbsession:
        statement = sa.select(AuditEvent.action).order_by(AuditEvent.action)
        return list(dbsession.scalars(statement))


def test_events_follow_their_savepoints(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        dbsession.connection()
        buffer.add(dbsession, command_line_event("a.kept"))
        with dbsession.begin_nested():
            buffer.add(dbsession, command_line_event("b.released"))
        failed = dbsession.begin_nested()
        buffer.add(dbsession, command_line_event("c.rolled_back"))
        failed.rollback()
        outer = dbsession.begin_nested()
        with dbsession.begin_nested():
            buffer.add(dbsession, command_line_event("d.inside_rolled_back_outer"))
        outer.rollback()
        with dbsession.begin_nested():
            buffer.add(dbsession, command_line_event("e.last"))

        # Nothing is inserted before the outermost commit.
        assert dbsession.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0

    assert _stored_actions(registry) == ["a.kept", "b.released", "e.last"]


def test_rolled_back_transaction_inserts_nothing(registry):
    with pytest.raises(RuntimeError), session_scope(registry.db_session_factory) as dbsession:
        buffer.add(dbsession, command_line_event("never"))
        raise RuntimeError("abort")

    with session_scope(registry.db_session_factory) as dbsession:
        buffer.add(dbsession, command_line_event("next"))

    assert _stored_actions(registry) == ["next"]
