"""Handing committed audit events to plugins, and the built-in plugin that logs them."""

from __future__ import annotations

import json
import logging
from typing import Any

import transaction
from sqlalchemy import inspect

from access_platform.audit.models import AuditEvent
from access_platform.audit.representation import event_json
from access_platform.hookspecs import hookimpl

log = logging.getLogger(__name__)

AUDIT_LOGGER = "access_platform.audit.events"


class _PendingEvents:
    """The events recorded in one transaction, delivered together once it commits."""

    def __init__(self, plugin_manager: Any, settings: dict[str, Any]) -> None:
        self.plugin_manager = plugin_manager
        self.settings = settings
        self.events: list[AuditEvent] = []

    def deliver(self, committed: bool) -> None:
        if not committed:
            return
        for event in self.events:
            # A $batch item that failed rolled back its savepoint, which
            # turned the events it recorded back into rows never stored.
            if not inspect(event).has_identity:
                continue
            try:
                self.plugin_manager.hook.access_platform_audit_event(
                    event=event_json(event), settings=self.settings
                )
            except Exception:
                log.exception("delivering audit event %s (%s) failed", event.id, event.action)


def deliver_after_commit(
    txn: transaction.interfaces.ITransaction,
    plugin_manager: Any,
    settings: dict[str, Any],
    event: AuditEvent,
) -> None:
    """Call the audit hooks with ``event`` after ``txn`` commits; never if it aborts."""
    try:
        pending = txn.data(_PendingEvents)
    except KeyError:
        pending = _PendingEvents(plugin_manager, settings)
        txn.set_data(_PendingEvents, pending)
        txn.addAfterCommitHook(pending.deliver)
    pending.events.append(event)


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
