"""``Idempotency-Key``: replaying the stored result of a POST that a client retries.

A client that sends ``Idempotency-Key: <key>`` on ``POST /api/v1/users``
or ``POST /api/v1/$batch`` may send the same request again, for example
after a timeout, and gets the first result back instead of a second
execution. The same key with a different request body gets 409. Keys are
scoped to the authenticated principal and kept for
``access_platform.idempotency.window_seconds``.

Only successful results are stored, in the same transaction as the work
they describe: a request that failed changed nothing, so running it again
is safe.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pyramid.response import Response
from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint, delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from access_platform.db import Base, UTCDateTime, new_id, utcnow
from access_platform.errors import ApiError, problem_type

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_REUSED = problem_type("idempotency-key-reused")
INVALID_KEY = problem_type("invalid-idempotency-key")
STORED_HEADERS = ("Content-Type", "Location", "ETag")
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyRecord(Base):
    """The stored result of a request sent with an ``Idempotency-Key``."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("principal_id", "key", name="uq_idempotency_records_principal_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    principal_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def _fingerprint(request: Any) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path_qs}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _replay(request: Any, record: IdempotencyRecord) -> Response:
    response = Response(body=record.body.encode("utf-8"), status=record.status)
    response.headers.update(record.headers)
    response.headers[REPLAYED_HEADER] = "true"
    log.info("replayed idempotent request %s (key record %s)", request.request_id, record.id)
    return response


def _lock_key(dbsession: Any, principal_id: str, key: str) -> None:
    """Make concurrent requests with one key wait for each other.

    Without it, retries sent while the first attempt still runs would all
    miss the stored result and run again. PostgreSQL takes a transaction
    advisory lock on the key; SQLite already runs one writing request at a
    time, since those begin with BEGIN IMMEDIATE.
    """
    if dbsession.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"{principal_id}\n{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    dbsession.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def idempotent(view: Callable[[Any, Any], Response]) -> Callable[[Any, Any], Response]:
    """Wrap a rendered view so that it honours ``Idempotency-Key``.

    Use it as the ``decorator`` of a view configuration, so that it runs
    after the permission and CSRF checks and sees the rendered response.
    """

    @functools.wraps(view)
    def wrapper(context: Any, request: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(context, request)
        if not _VALID_KEY.match(key):
            raise ApiError(
                400,
                f"{HEADER} must be 1 to 255 printable ASCII characters without spaces.",
                type=INVALID_KEY,
                title="Invalid idempotency key",
            )

        dbsession = request.dbsession
        principal_id = request.identity.principal_id
        fingerprint = _fingerprint(request)
        now = utcnow()
        _lock_key(dbsession, principal_id, key)
        record = dbsession.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal_id == principal_id, IdempotencyRecord.key == key
            )
        ).one_or_none()
        if record is not None and record.expires_at <= now:
            dbsession.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
            record = None
        if record is not None:
            if record.fingerprint != fingerprint:
                raise ApiError(
                    409,
                    f"{HEADER} {key!r} was already used for a different request; "
                    "use a new key for a new request.",
                    type=KEY_REUSED,
                    title="Idempotency key reused",
                )
            return _replay(request, record)

        response = view(context, request)
        if not 200 <= response.status_int < 300:
            return response

        window = request.registry.settings["access_platform.idempotency.window_seconds"]
        stored = IdempotencyRecord(
            principal_id=principal_id,
            key=key,
            fingerprint=fingerprint,
            status=response.status_int,
            headers={
                name: response.headers[name] for name in STORED_HEADERS if name in response.headers
            },
            body=response.text,
            expires_at=now + timedelta(seconds=window),
        )
        try:
            dbsession.add(stored)
            dbsession.flush()
        except IntegrityError as error:
            # A concurrent request with the same key stored its result
            # first; this one must not commit a second execution.
            raise ApiError(
                409,
                f"A request with {HEADER} {key!r} is already being processed; retry it shortly.",
                type=KEY_REUSED,
                title="Idempotency key in use",
            ) from error
        return response

    return wrapper
