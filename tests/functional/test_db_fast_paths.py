"""The storage fast paths: single-INSERT creates and savepoints with held-back releases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from access_platform.db import insert_row, session_scope
from access_platform.errors import ApiError
from access_platform.users.models import User

CONFLICT = ApiError(409, "taken")
COMPARED = ("display_name", "display_name_folded", "email", "email_folded", "status", "source")


def _user(user_name: str) -> User:
    return User(user_name=user_name, display_name=f"Ünïcode {user_name}", email=f"{user_name}@X.io")


def _user_names(registry) -> set[str]:
    with session_scope(registry.db_session_factory) as dbsession:
        return set(dbsession.scalars(sa.select(User.user_name)))


def test_insert_row_matches_a_flush(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        flushed = _user("flushed")
        dbsession.add(flushed)
        dbsession.flush()
        inserted = _user("inserted")
        insert_row(dbsession, inserted, "user_name_folded", CONFLICT)
        flushed_id, inserted_id = flushed.id, inserted.id

    with session_scope(registry.db_session_factory) as dbsession:
        flushed = dbsession.get(User, flushed_id)
        inserted = dbsession.get(User, inserted_id)
        for name in COMPARED:
            assert getattr(inserted, name) == getattr(flushed, name).replace("flushed", "inserted")
        assert inserted.user_name_folded == "inserted"
        assert inserted.version == 1
        assert inserted.created_at == inserted.updated_at


def test_insert_row_is_committed_and_persistent(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        user = _user("kept")
        insert_row(dbsession, user, "user_name_folded", CONFLICT)
        user.display_name = "changed after insert"

    with session_scope(registry.db_session_factory) as dbsession:
        stored = dbsession.scalars(sa.select(User).where(User.user_name == "kept")).one()
        assert stored.display_name == "changed after insert"
        assert stored.version == 2


def test_insert_row_conflict_raises_the_given_error(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        insert_row(dbsession, _user("twice"), "user_name_folded", CONFLICT)

    with (
        pytest.raises(ApiError) as raised,
        session_scope(registry.db_session_factory) as dbsession,
    ):
        insert_row(dbsession, _user("TWICE"), "user_name_folded", CONFLICT)

    assert raised.value is CONFLICT


def test_savepoints_keep_only_committed_work(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        with dbsession.begin_nested():
            dbsession.add(_user("first"))
        # A failed savepoint right after a released one.
        savepoint = dbsession.begin_nested()
        dbsession.add(_user("FIRST"))
        with pytest.raises(IntegrityError):
            dbsession.flush()
        savepoint.rollback()
        # An outer savepoint kept, with a failed inner one.
        with dbsession.begin_nested():
            dbsession.add(_user("outer"))
            inner = dbsession.begin_nested()
            dbsession.add(_user("inner"))
            dbsession.flush()
            inner.rollback()
        # An outer savepoint rolled back after its inner one was released.
        outer = dbsession.begin_nested()
        with dbsession.begin_nested():
            dbsession.add(_user("released inside"))
        outer.rollback()
        with dbsession.begin_nested():
            dbsession.add(_user("last"))

    assert _user_names(registry) == {"first", "outer", "last"}


def test_savepoint_statement_errors_come_out_as_sqlalchemy_errors(registry):
    with (
        pytest.raises(DBAPIError) as raised,
        session_scope(registry.db_session_factory) as dbsession,
    ):
        connection = dbsession.connection()
        connection.dialect.do_rollback_to_savepoint(connection, "never_opened")

    assert "ROLLBACK TO SAVEPOINT never_opened" in str(raised.value)
    assert not raised.value.connection_invalidated


def test_insert_row_errors_hide_parameters(registry):
    user = _user("checked")
    user.status = "unknown"

    with (
        pytest.raises(IntegrityError) as raised,
        session_scope(registry.db_session_factory) as dbsession,
    ):
        insert_row(dbsession, user, "user_name_folded", CONFLICT)

    assert "ck_users_status" in str(raised.value.orig) or "CHECK" in str(raised.value.orig)
    assert "SQL parameters hidden" in str(raised.value)
    assert "INSERT INTO users" in str(raised.value)
    assert _user_names(registry) == set()
