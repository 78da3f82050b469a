"""Handing committed audit events to plugins, and the built-in plugin that logs them."""

from __future__ import annotations

import json
import logging
from typing import Any

import transaction
from sqlalchemy.orm import Session

from access_platform.audit.buffer import take_committed
from access_platform.audit.representation import event_json
from access_platform.hookspecs import hookimpl
from access_platform.plugins import call_each

log = logging.getLogger(__name__)

AUDIT_LOGGER = "access_platform.audit.events"


class _Delivery:
    """Hands the events that one transaction committed to the plugins, after the commit."""

    def __init__(self, plugin_manager: Any, settings: dict[str, Any], dbsession: Session) -> None:
        self.plugin_manager = plugin_manager
        self.settings = settings
        self.dbsession = dbsession

    def deliver(self, committed: bool) -> None:
        # Events of savepoints that rolled back were never inserted, so
        # they are not among the committed ones.
        events = take_committed(self.dbsession)
        if not committed:
            return
        for event in events:
            call_each(
                self.plugin_manager.hook.access_platform_audit_event,
                f"delivering audit event {event.id} ({event.action})",
                log,
                event=event_json(event),
                settings=self.settings,
            )


def deliver_after_commit(
    txn: transaction.interfaces.ITransaction,
    plugin_manager: Any,
    settings: dict[str, Any],
    dbsession: Session,
) -> None:
    """Call the audit hooks with the events ``dbsession`` commits in ``txn``; none if it aborts."""
    try:
        txn.data(_Delivery)
    except KeyError:
        delivery = _Delivery(plugin_manager, settings, dbsession)
        txn.set_data(_Delivery, delivery)
        txn.addAfterCommitHook(delivery.deliver)


class LoggedAuditEvents:
    """Built-in plugin: log each committed audit event as one line of JSON.

    The lines go to the ``access_platform.audit.events`` logger at INFO, so
    that the ini file can send them to a handler of their own. The logger
    is not the parent of this package's module loggers, so their error
    lines stay out of that stream.
    """

    def __init__(self) -> None:
        self.log = logging.getLogger(AUDIT_LOGGER)

    @hookimpl
    def access_platform_audit_event(self, event: dict[str, Any], settings: dict[str, Any]) -> None:
        if self.log.isEnabledFor(logging.INFO):
            self.log.info("%s", json.dumps(event, sort_keys=True, separators=(",", ":")))
