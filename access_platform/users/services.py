"""The user lifecycle: create, change, deactivate, list, and look up memberships."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from access_platform.auth.models import ApiKey, BrowserSession
from access_platform.auth.passwords import hash_password
from access_platform.db import flush_or_conflict, insert_row, utcnow
from access_platform.errors import ApiError, problem_type
from access_platform.listing import SortKey, datetime_sort_key, escape_like
from access_platform.users.emails import replace_emails, set_primary_email
from access_platform.users.models import User, fold, fold_user_name

log = logging.getLogger(__name__)

USER_NAME_TAKEN = problem_type("user-name-taken")

USER_SORT_KEYS = {
    "user_name": SortKey(User.user_name_folded),
    "display_name": SortKey(User.display_name_folded),
    "email": SortKey(User.email_folded),
    "created_at": datetime_sort_key(User.created_at),
    "updated_at": datetime_sort_key(User.updated_at),
}
USER_FILTERS = frozenset({"status", "source", "user_name", "email", "external_id", "q"})


def user_name_conflict(user_name: str) -> ApiError:
    return ApiError(
        409,
        f"A user named {user_name!r} already exists; user names are compared ignoring case.",
        type=USER_NAME_TAKEN,
        title="User name already taken",
        scim_type="uniqueness",
    )


def find_by_user_name(dbsession: Session, user_name: str) -> User | None:
    return dbsession.scalars(
        select(User).where(User.user_name_folded == fold_user_name(user_name))
    ).one_or_none()


def create_user(dbsession: Session, fields: dict[str, Any], source: str = "local") -> User:
    """Create a user from validated ``fields`` and return it.

    :raises ApiError: 409 when the user name is taken, including by a
        concurrent request that committed first.
    """
    fields = dict(fields)
    password = fields.pop("password", None)
    user = User(
        source=source, password_hash=hash_password(password) if password else None, **fields
    )
    insert_row(dbsession, user, "user_name_folded", user_name_conflict(user.user_name))
    if user.email:
        primary = {"value": user.email, "type": "work", "primary": True}
        replace_emails(dbsession, user, [primary], new_user=True)
    log.info("created user %s (source %s)", user.id, source)
    return user


def update_user(dbsession: Session, user: User, changes: dict[str, Any]) -> User:
    """Apply validated merge-patch ``changes`` to ``user``.

    A change of ``status`` to ``deactivated`` ends the user's sessions and
    keys, as :func:`deactivate_user` does.
    """
    changes = dict(changes)
    if "password" in changes:
        password = changes.pop("password")
        user.password_hash = hash_password(password) if password else None
    status = changes.pop("status", None)

    if "email" in changes and changes["email"] != user.email:
        set_primary_email(dbsession, user, changes.pop("email"))
    changes.pop("email", None)
    for name, value in changes.items():
        setattr(user, name, value)
    if dbsession.is_modified(user):
        user.updated_at = utcnow()
        flush_or_conflict(dbsession, "user_name_folded", user_name_conflict(user.user_name))
        log.info("updated user %s: %s", user.id, ", ".join(sorted(changes)))

    if status == "deactivated":
        deactivate_user(dbsession, user)
    elif status == "active" and user.status != "active":
        user.status = "active"
        user.updated_at = utcnow()
        dbsession.flush()
        log.info("reactivated user %s", user.id)
    return user


def deactivate_user(dbsession: Session, user: User) -> User:
    """Deactivate ``user`` and end every session and API key they have, in this transaction.

    Deactivating a deactivated user changes nothing.
    """
    if user.status == "deactivated":
        return user

    now = utcnow()
    user.status = "deactivated"
    user.updated_at = now
    dbsession.execute(
        update(BrowserSession)
        .where(BrowserSession.user_id == user.id, BrowserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    dbsession.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    dbsession.flush()
    log.info("deactivated user %s and revoked their sessions and API keys", user.id)
    return user


def filtered_users(params: dict[str, str]) -> Select[Any]:
    """Return the select of users matching the list filters in ``params``."""
    statement = select(User)
    if "status" in params:
        statement = statement.where(User.status == params["status"])
    if "source" in params:
        statement = statement.where(User.source == params["source"])
    if "user_name" in params:
        statement = statement.where(User.user_name_folded == fold_user_name(params["user_name"]))
    if "email" in params:
        statement = statement.where(User.email_folded == fold(params["email"]))
    if "external_id" in params:
        statement = statement.where(User.external_id == params["external_id"])
    if params.get("q"):
        prefix = escape_like(fold(params["q"])) + "%"
        statement = statement.where(
            or_(
                User.user_name_folded.like(prefix, escape="\\"),
                User.display_name_folded.like(prefix, escape="\\"),
                User.email_folded.like(prefix, escape="\\"),
            )
        )
    return statement
