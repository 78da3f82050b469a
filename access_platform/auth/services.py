"""Issuing and checking API keys and browser sessions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from access_platform import credentials
from access_platform.auth.models import ApiKey, BrowserSession
from access_platform.auth.passwords import verify_password
from access_platform.db import SQLITE_BEGIN_IMMEDIATE, UNSAFE_METHODS, utcnow
from access_platform.users.models import User, fold_user_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedApiKey:
    """A new API key and its secret, which is shown once and never stored."""

    api_key: ApiKey
    secret: str


def issue_api_key(
    dbsession: Session, user: User, name: str, expires_at: datetime | None
) -> IssuedApiKey:
    """Create an API key owned by ``user`` and return it with its secret."""
    prefix = credentials.new_prefix()
    secret = credentials.new_secret(credentials.API_KEY_KIND, prefix)
    api_key = ApiKey(
        name=name,
        prefix=prefix,
        secret_digest=credentials.digest(secret),
        user_id=user.id,
        expires_at=expires_at,
    )
    dbsession.add(api_key)
    dbsession.flush()
    log.info("issued API key %s (prefix %s) for user %s", api_key.id, prefix, user.id)
    return IssuedApiKey(api_key, secret)


def find_api_key(dbsession: Session, secret: str) -> tuple[ApiKey | None, str]:
    """Return the key that ``secret`` belongs to, or ``None`` and the reason it is not valid."""
    parsed = credentials.parse_secret(secret, credentials.API_KEY_KIND)
    if parsed is None:
        return None, "malformed API key"
    api_key = dbsession.scalars(select(ApiKey).where(ApiKey.prefix == parsed.prefix)).one_or_none()
    if api_key is None or not credentials.digests_match(parsed.value, api_key.secret_digest):
        return None, f"unknown API key (prefix {parsed.prefix})"
    now = utcnow()
    if api_key.revoked_at is not None:
        return None, f"revoked API key {api_key.id}"
    if api_key.expires_at is not None and api_key.expires_at <= now:
        return None, f"expired API key {api_key.id}"
    if not api_key.user.is_active:
        return None, f"API key {api_key.id} belongs to {api_key.user.status} user {api_key.user_id}"
    return api_key, ""


def touch(request: Any, credential: Any) -> None:
    """Record that ``credential`` (an API key, session or SCIM token) was used.

    The time is written at most once every
    ``access_platform.credentials.last_used_interval_seconds``. A request
    that writes anyway sets it inside the request's transaction. A read-only request
    writes it in a short transaction of its own instead, because on SQLite a
    read transaction that starts writing fails at once when another writer
    committed since it began, whatever the busy timeout. Losing that race
    only skips one update, so a failure there is logged and ignored.
    """
    settings = request.registry.settings
    interval = timedelta(seconds=settings["access_platform.credentials.last_used_interval_seconds"])
    now = utcnow()
    last_used = credential.last_used_at
    if last_used is not None and now - last_used < interval:
        return

    if request.method in UNSAFE_METHODS:
        credential.last_used_at = now
        return

    table = type(credential).__table__
    statement = update(table).where(table.c.id == credential.id).values(last_used_at=now)
    try:
        with request.registry.db_engine.connect() as connection:
            connection = connection.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
            with connection.begin():
                connection.execute(statement)
    except DBAPIError as error:
        log.warning(
            "recording the use of %s %s failed, skipped: %s",
            table.name,
            credential.id,
            type(error.orig).__name__,
        )
        return
    set_committed_value(credential, "last_used_at", now)


@dataclass(frozen=True)
class StartedSession:
    """A new browser session and its cookie value, which is never stored."""

    browser_session: BrowserSession
    token: str


def authenticate_password(dbsession: Session, user_name: str, password: str) -> User | None:
    """Return the active user whose name and password match, or ``None``.

    Unknown users, wrong passwords and users who are not active all give
    ``None`` after the same amount of hashing work.
    """
    user = dbsession.scalars(
        select(User).where(User.user_name_folded == fold_user_name(user_name))
    ).one_or_none()
    password_hash = user.password_hash if user is not None else None
    if not verify_password(password_hash, password):
        return None
    if user is None or not user.is_active:
        return None
    return user


def start_session(
    dbsession: Session, user: User, max_age_seconds: int, client_address: str | None
) -> StartedSession:
    """Create a browser session for ``user`` and return it with its cookie value."""
    token = credentials.new_session_token()
    browser_session = BrowserSession(
        token_digest=credentials.digest(token),
        csrf_token=credentials.new_csrf_token(),
        user_id=user.id,
        expires_at=utcnow() + timedelta(seconds=max_age_seconds),
        client_address=client_address,
    )
    dbsession.add(browser_session)
    dbsession.flush()
    log.info("user %s logged in, session %s", user.id, browser_session.id)
    return StartedSession(browser_session, token)


def find_session(dbsession: Session, token: str) -> tuple[BrowserSession | None, str]:
    """Return the live session for a cookie value, or ``None`` and the reason it is not valid."""
    browser_session = dbsession.scalars(
        select(BrowserSession).where(BrowserSession.token_digest == credentials.digest(token))
    ).one_or_none()
    if browser_session is None:
        return None, "unknown session"
    if browser_session.revoked_at is not None:
        return None, f"session {browser_session.id} was logged out or revoked"
    if browser_session.expires_at <= utcnow():
        return None, f"session {browser_session.id} expired"
    if not browser_session.user.is_active:
        return None, f"session {browser_session.id} belongs to {browser_session.user.status} user"
    return browser_session, ""


def end_session(browser_session: BrowserSession) -> None:
    """Revoke ``browser_session`` on the server, so its cookie stops working at once."""
    browser_session.revoked_at = utcnow()
    log.info("session %s ended", browser_session.id)
