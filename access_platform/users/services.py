"""Creating and finding users."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access_platform.auth.passwords import hash_password
from access_platform.errors import ApiError, problem_type
from access_platform.users.models import User, fold_user_name

log = logging.getLogger(__name__)

USER_NAME_TAKEN = problem_type("user-name-taken")


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
        user_name_folded=fold_user_name(fields["user_name"]),
        source=source,
        password_hash=hash_password(password) if password else None,
        **fields,
    )

    # The savepoint keeps the request's transaction usable after a
    # unique-constraint violation, so the 409 can still be answered.
    try:
        with dbsession.begin_nested():
            dbsession.add(user)
    except IntegrityError as error:
        if find_by_user_name(dbsession, fields["user_name"]) is not None:
            raise user_name_conflict(fields["user_name"]) from error
        raise

    log.info("created user %s (%s)", user.id, source)
    return user
