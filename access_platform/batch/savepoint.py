"""The savepoint around one ``$batch`` item.

Each item must commit or roll back on its own, so each runs inside a SQL
savepoint. ``Session.begin_nested()`` would give one, but its bookkeeping
(a nested session transaction, a Core transaction object, snapshots of
the session's state) cost several times the savepoint statements in
profiles of a batch of user creates. :class:`ItemSavepoint` sends the
statements itself and does the session's part only when the item fails:

- it expunges the objects that became persistent during the item, and
  expires the rest, so that nothing in the session shows rolled-back
  values;
- it drops the audit events that the item recorded.

The ORM rolls back the session's whole transaction when a flush fails,
unless a nested session transaction is open. So the first flush that has
changes to write during an item opens one, inside the item's savepoint.
An item that changes ORM objects thus pays for ``begin_nested()`` as
before. An item that writes through Core statements, as a user create
does, does not.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from access_platform.audit import buffer as audit_buffer

# Session.info key of the item savepoint that is open, if any.
OPEN_ITEM_KEY = "access_platform.open_batch_item"


class ItemSavepoint:
    """A SQL savepoint around one batch item, opened at once.

    End it with exactly one call of :meth:`commit` or :meth:`rollback`.
    """

    def __init__(self, dbsession: Session, name: str) -> None:
        # Changes made before the item belong to the batch, not to it.
        dbsession.flush()
        self.dbsession = dbsession
        self.name = name
        self.connection = dbsession.connection()
        self.outer_nested = dbsession.get_nested_transaction()
        self.known_keys = set(dbsession.identity_map.keys())
        self.audit_mark = audit_buffer.mark(dbsession)
        self.connection.dialect.do_savepoint(self.connection, name)
        dbsession.info[OPEN_ITEM_KEY] = self

    def commit(self) -> None:
        """Write the item's pending changes and release its savepoint.

        :raises Exception: whatever the final flush raises. The item has
            then failed, and the caller rolls it back.
        """
        self.dbsession.flush()
        for nested in self._nested_inside():
            nested.commit()
        self.connection.dialect.do_release_savepoint(self.connection, self.name)
        self.dbsession.info.pop(OPEN_ITEM_KEY, None)

    def rollback(self) -> None:
        """Undo everything the item wrote, in the database and in the session."""
        self.dbsession.info.pop(OPEN_ITEM_KEY, None)
        for nested in self._nested_inside():
            nested.rollback()

        dialect = self.connection.dialect
        dialect.do_rollback_to_savepoint(self.connection, self.name)
        dialect.do_release_savepoint(self.connection, self.name)

        # Objects the item added or inserted are gone from the database.
        # Objects it changed, through the ORM or through UPDATE
        # statements, hold values that the database no longer has, so
        # every object is expired.
        session = self.dbsession
        added = [row for key, row in session.identity_map.items() if key not in self.known_keys]
        for row in [*session.new, *added]:
            session.expunge(row)
        session.expire_all()
        audit_buffer.discard_since(session, self.audit_mark)

    def _nested_inside(self) -> list[SessionTransaction]:
        """Return the nested session transactions opened during the item, innermost first."""
        opened = []
        transaction = self.dbsession.get_nested_transaction()
        while transaction is not None and transaction is not self.outer_nested:
            if transaction.nested:
                opened.append(transaction)
            transaction = transaction.parent
        return opened


@event.listens_for(Session, "before_flush")
def _nest_flush_in_item(session: Session, _flush_context: Any, _instances: Any) -> None:
    # Open the nested session transaction that keeps a failed flush from
    # rolling back the whole batch, as the module docstring explains.
    item = session.info.get(OPEN_ITEM_KEY)
    if item is not None and session.get_nested_transaction() is item.outer_nested:
        session.begin_nested()
