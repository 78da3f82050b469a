"""Recording audit events in the transaction of the change they describe.

Every mutation calls one of the functions here once it has made its
change: :func:`record_created` after a create, :func:`record_changes`
around an update, :func:`record_deletion` around a delete, or
:func:`record` with a summary it builds itself. The event is added to the
request's session's audit buffer, which inserts every event of the
transaction in one statement just before it commits, and drops the events
of a savepoint that rolls back, such as a failed ``$batch`` item's.

A change summary maps field names to new values. Bookkeeping columns
(``id``, ``version``, timestamps of the row itself, the folded lookup
copies) are left out. Columns that hold a secret or a digest of one
appear under the secret's name with the value :data:`REDACTED`, so an
event shows that a password was set without carrying anything derived
from it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import transaction
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from access_platform.audit import buffer
from access_platform.audit.delivery import deliver_after_commit
from access_platform.audit.models import NewAuditEvent
from access_platform.db import PARENT_REQUEST_KEY, new_id, utcnow

log = logging.getLogger(__name__)

REDACTED = "[redacted]"

# Column name to the name an event shows it under. The value is never shown.
SECRET_COLUMNS = {
    "password_hash": "password",
    "secret_digest": "secret",
    "token_digest": "token",
    "csrf_token": "csrf_token",
}
BOOKKEEPING_COLUMNS = frozenset({"id", "version", "created_at", "updated_at", "last_used_at"})

# Column lengths of audit_events; longer values are cut to fit.
REQUEST_ID_LENGTH = 255
CLIENT_ADDRESS_LENGTH = 64
ID_LENGTH = 64


@dataclass(frozen=True)
class Actor:
    """The principal that made a change, and the credential it used.

    :ivar type: ``user``, ``scim_token``, ``cli``, or the principal type of
        a plugin's auth method.
    :ivar id: the user or token id; ``None`` for the command line.
    :ivar auth_method: how the actor authenticated: ``api_key``,
        ``session``, ``scim_token``, ``password`` (login),
        ``invitation_token`` (accepting an invitation), ``cli``, or a
        plugin's method name.
    :ivar credential_id: the API key, session, SCIM token or invitation used.
    """

    type: str
    id: str | None
    auth_method: str
    credential_id: str | None = None


CLI_ACTOR = Actor(type="cli", id=None, auth_method="cli")


def actor_of(request: Any) -> Actor:
    """Return the actor of an authenticated request, from its identity.

    :raises ValueError: for a request without an identity; views that take
        no credential pass their actor to :func:`record` explicitly.
    """
    identity = request.identity
    if identity is None:
        raise ValueError(f"request {request.request_id} has no identity to record as the actor")
    if identity.user is not None:
        return Actor("user", identity.user.id, identity.method, identity.credential_id)
    principal_type, _, principal_id = identity.principal_id.partition(":")
    return Actor(principal_type, principal_id or None, identity.method, identity.credential_id)


# --- Change summaries --------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    """Return ``value`` as JSON can hold it: timestamps as RFC 3339 text, containers copied."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(item) for item in value]
    return value


@cache
def _audited_columns(model: type) -> tuple[str, ...]:
    """Return the column attributes of ``model`` that change summaries show."""
    return tuple(
        attribute.key
        for attribute in inspect(model).column_attrs
        if attribute.key not in BOOKKEEPING_COLUMNS and not attribute.key.endswith("_folded")
    )


def _raw_values(row: Any, also: tuple[str, ...]) -> dict[str, Any]:
    """Return the audited column values of ``row``, plus the attributes named in ``also``.

    Secret columns keep their raw value here, only to compare before and
    after; :func:`_summary` replaces it before anything is stored.
    """
    values = {name: getattr(row, name) for name in _audited_columns(type(row))}
    for name in also:
        values[name] = getattr(row, name)
    return values


def _summary(values: Mapping[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, value in values.items():
        if name in SECRET_COLUMNS:
            summary[SECRET_COLUMNS[name]] = REDACTED
        else:
            summary[name] = _json_value(value)
    return summary


def row_summary(row: Any, also: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the fields of ``row`` that have a value, secrets redacted: the summary of a create."""
    values = _raw_values(row, also)
    return _summary({name: value for name, value in values.items() if value is not None})


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Return the fields whose value differs between two raw snapshots, with the new values."""
    changed = {name: value for name, value in after.items() if before.get(name) != value}
    return _summary(changed)


def id_list_summary(name: str, ids: list[str], limit: int = 100) -> dict[str, Any]:
    """Return ``{name: first ids, name_count: n}``, so that one event stays small.

    A SCIM ``PUT`` may replace thousands of group members at once; the
    event keeps the first ``limit`` ids and the exact count.
    """
    ordered = sorted(ids)
    return {name: ordered[:limit], f"{name}_count": len(ordered)}


# --- Recording ------------------------------------------------------------------------------


def _clip(text: str | None, length: int) -> str | None:
    """Return ``text`` with unprintable characters replaced and cut to ``length``.

    Batch item ids become part of request ids and may contain any
    character, including NUL, which PostgreSQL does not store in text.
    """
    if text is None:
        return None
    if text.isprintable():
        return text[:length]
    printable = "".join(character if character.isprintable() else "?" for character in text)
    return printable[:length]


def _add_event(
    dbsession: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    changes: Mapping[str, Any] | None,
    request_id: str | None,
    client_address: str | None,
) -> NewAuditEvent:
    event = NewAuditEvent(
        id=new_id(),
        occurred_at=utcnow(),
        actor_type=actor.type,
        actor_id=_clip(actor.id, ID_LENGTH),
        auth_method=actor.auth_method,
        credential_id=_clip(actor.credential_id, ID_LENGTH),
        action=action,
        target_type=target_type,
        target_id=target_id,
        changes=_json_value(dict(changes or {})),
        request_id=_clip(request_id, REQUEST_ID_LENGTH),
        client_address=_clip(client_address, CLIENT_ADDRESS_LENGTH),
    )
    buffer.add(dbsession, event)
    return event


def record(
    request: Any,
    action: str,
    target_type: str,
    target_id: str,
    changes: Mapping[str, Any] | None = None,
    *,
    actor: Actor | None = None,
) -> NewAuditEvent:
    """Add an event for a change made by ``request``, and deliver it once the request commits.

    :param action: ``<target type>.<verb>``, such as ``user.create``; the
        vocabulary is listed in docs/api.md.
    :param changes: field name to new value. Callers build it with the
        summary helpers above, which keep secrets out.
    :param actor: who made the change; by default the request's identity.
    """
    event = _add_event(
        request.dbsession,
        actor or actor_of(request),
        action,
        target_type,
        target_id,
        changes,
        request.request_id,
        # REMOTE_ADDR, never X-Forwarded-For, which any client can send.
        # Behind a reverse proxy, waitress's trusted_proxy setting puts the
        # client's address into REMOTE_ADDR.
        request.remote_addr,
    )
    # A $batch item runs inside its parent's transaction, which pyramid_tm
    # manages through the parent request.
    owner = request.environ.get(PARENT_REQUEST_KEY, request)
    deliver_after_commit(
        owner.tm.get(), request.registry.plugin_manager, request.registry.settings, owner.dbsession
    )
    return event


def record_created(
    request: Any,
    action: str,
    target_type: str,
    row: Any,
    *,
    also: tuple[str, ...] = (),
    details: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
) -> NewAuditEvent:
    """Record the creation of ``row``, summarised by its fields that have a value."""
    changes = {**row_summary(row, also), **(details or {})}
    return record(request, action, target_type, row.id, changes, actor=actor)


@contextmanager
def record_changes(
    request: Any,
    action: str,
    target_type: str,
    row: Any,
    *,
    also: tuple[str, ...] = (),
    actor: Actor | None = None,
) -> Iterator[dict[str, Any]]:
    """Record the fields of ``row`` that the block changes, if it changes any and does not raise.

    Yields a dict that the block may fill with details to add to the
    summary. A block that leaves every field as it was records nothing, so
    a repeated deactivation or a PATCH that sets the current values leaves
    no event.
    """
    before = _raw_values(row, also)
    details: dict[str, Any] = {}
    yield details
    changes = changed_fields(before, _raw_values(row, also))
    if changes:
        record(request, action, target_type, row.id, {**changes, **details}, actor=actor)


@contextmanager
def record_deletion(
    request: Any,
    action: str,
    target_type: str,
    row: Any,
    *,
    also: tuple[str, ...] = (),
) -> Iterator[dict[str, Any]]:
    """Record the deletion that the block makes, with the fields ``row`` had before it.

    Yields a dict that the block may fill with details, such as how many
    memberships went with the row.
    """
    summary = row_summary(row, also)
    row_id = row.id
    details: dict[str, Any] = {}
    yield details
    record(request, action, target_type, row_id, {**summary, **details})


def record_without_request(
    dbsession: Session,
    manager: transaction.TransactionManager,
    plugin_manager: Any,
    settings: dict[str, Any],
    action: str,
    target_type: str,
    row: Any,
) -> NewAuditEvent:
    """Record the creation of ``row`` by a command-line tool, with the actor ``cli``."""
    if row.id is None:
        # The id default applies at INSERT.
        dbsession.flush()
    event = _add_event(
        dbsession, CLI_ACTOR, action, target_type, row.id, row_summary(row), None, None
    )
    deliver_after_commit(manager.get(), plugin_manager, settings, dbsession)
    return event
