"""The savepoint of a $batch item: the database and the session both forget a failed item."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from access_platform.audit import buffer
from access_platform.audit.models import AuditEvent
from access_platform.batch.savepoint import ItemSavepoint
from access_platform.db import insert_row, session_scope
from access_platform.errors import ApiError
from access_platform.users.models import User
from tests.functional.audit_helpers import command_line_event

CONFLICT = ApiError(409, "taken")


def _stored(registry) -> tuple[dict[str, str | None], list[str]]:
    """Return the stored users' display names by user name, and the stored audit actions."""
    with session_scope(registry.db_session_factory) as dbsession:
        rows = dbsession.execute(sa.select(User.user_name, User.display_name))
        users = {user_name: display_name for user_name, display_name in rows}
        actions = sorted(dbsession.scalars(sa.select(AuditEvent.action)))
        return users, actions


def _create(dbsession, user_name: str) -> User:
    user = User(user_name=user_name, display_name=user_name)
    insert_row(dbsession, user, "user_name_folded", CONFLICT)
    return user


def test_failed_item_leaves_nothing_behind(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        existing = _create(dbsession, "existing")

        first_item = ItemSavepoint(dbsession, "item_0")
        _create(dbsession, "kept")
        buffer.add(dbsession, command_line_event("kept"))
        first_item.commit()

        failed = ItemSavepoint(dbsession, "item_1")
        rolled_back_user = _create(dbsession, "gone")
        change = sa.update(User).where(User.id == existing.id)
        dbsession.execute(change.values(display_name="changed by a failure"))
        existing.display_name = "changed in memory"
        buffer.add(dbsession, command_line_event("gone"))
        failed.rollback()

        # The session drops the failed item too: its new row is no longer
        # in the session, and the old row shows the database's value again.
        assert rolled_back_user not in dbsession
        assert existing.display_name == "existing"

        last = ItemSavepoint(dbsession, "item_2")
        _create(dbsession, "last")
        buffer.add(dbsession, command_line_event("last"))
        last.commit()

    users, actions = _stored(registry)
    assert users == {"existing": "existing", "kept": "kept", "last": "last"}
    assert actions == ["kept", "last"]


def test_failed_orm_flush_rolls_back_only_its_item(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        first = _create(dbsession, "first")

        first_item = ItemSavepoint(dbsession, "item_0")
        first.display_name = "renamed by the first item"
        first_item.commit()

        failed = ItemSavepoint(dbsession, "item_1")
        second = _create(dbsession, "second")
        second.user_name = "FIRST"
        with pytest.raises(IntegrityError):
            dbsession.flush()
        failed.rollback()

        last = ItemSavepoint(dbsession, "item_2")
        _create(dbsession, "after the failure")
        last.commit()

    users, _ = _stored(registry)
    assert users == {"first": "renamed by the first item", "after the failure": "after the failure"}


def test_pending_changes_are_written_inside_the_item(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        user = _create(dbsession, "pending")

        item = ItemSavepoint(dbsession, "item_0")
        user.display_name = "written when the item commits"
        item.commit()
        assert not dbsession.dirty

        failed = ItemSavepoint(dbsession, "item_1")
        user.user_name = "other"
        failed.rollback()
        assert user.user_name == "pending"

    users, _ = _stored(registry)
    assert users == {"pending": "written when the item commits"}


def test_item_fails_when_final_flush_fails(registry):
    with session_scope(registry.db_session_factory) as dbsession:
        _create(dbsession, "taken")
        user = _create(dbsession, "free")

        item = ItemSavepoint(dbsession, "item_0")
        user.user_name = "TAKEN"
        with pytest.raises(IntegrityError):
            item.commit()
        item.rollback()

        assert user.user_name == "free"
        assert dbsession.get_nested_transaction() is None

    users, _ = _stored(registry)
    assert users == {"taken": "taken", "free": "free"}
