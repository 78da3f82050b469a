"""The user table."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from access_platform.db import Base, UTCDateTime, folded_text, new_id, utcnow
from access_platform.errors import validation_error

USER_STATUSES = ("active", "deactivated", "invited")


def fold(text: str | None) -> str:
    """Return the folded form of ``text`` used for case-insensitive lookups and sorting.

    The form is NFKC normalization, case folding, then NFKC again (Unicode's
    caseless matching), so that "Ａlice", "Alice" and "alice", or a composed
    and a decomposed "á", are one name. Folding in Python rather than with
    SQL ``lower()`` gives the same result on SQLite, whose ``lower()`` folds
    ASCII only, and on PostgreSQL. ``None`` folds to the empty string, so
    that keyset paging never meets a NULL.
    """
    if not text:
        return ""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def fold_to_fit(text: str | None, column: Any, field: str) -> str:
    """Return ``fold(text)`` for storing in ``column``.

    Folding can make text longer: "ß" folds to "ss", and NFKC expands
    some characters, such as ligatures, to several. A value within its
    field's length limit may therefore not fit the folded column.

    :raises ApiError: 422 naming ``field`` when the folded form is longer
        than ``column`` holds.
    """
    folded = fold(text)
    limit = column.type.length
    if len(folded) > limit:
        detail = (
            f"{field} is too long once folded for case-insensitive comparison: "
            f"{len(folded)} characters, at most {limit}. Some characters, such as ß, "
            "fold to more than one."
        )
        raise validation_error([{"pointer": f"#/{field}", "detail": detail}], detail=detail)
    return folded


def fold_user_name(user_name: str) -> str:
    """Return the form of a user name used for uniqueness and lookups.

    User names are compared case-insensitively, as SCIM's ``userName``
    (``caseExact: false``) requires.
    """
    return fold(user_name)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'deactivated', 'invited')", name="status"),
        Index("ix_users_external_id", "external_id"),
        Index("ix_users_status", "status"),
        Index("ix_users_source", "source"),
        Index("ix_users_email_folded", "email_folded", "id"),
        Index("ix_users_display_name_folded", "display_name_folded", "id"),
        Index("ix_users_created_at", "created_at", "id"),
        Index("ix_users_updated_at", "updated_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_name: Mapped[str] = mapped_column(String(255))
    user_name_folded: Mapped[str] = mapped_column(folded_text(255), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_name_folded: Mapped[str] = mapped_column(folded_text(255), default="")
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    email_folded: Mapped[str] = mapped_column(folded_text(320), default="")
    external_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")
    source: Mapped[str] = mapped_column(String(64), default="local")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # SCIM attributes that have no column of their own (phone numbers,
    # addresses, extension objects and the like), as SCIM JSON.
    scim_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The SCIM token that created the user, for users provisioned over SCIM.
    scim_token_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Every UPDATE checks and bumps the version, so two writers that read
    # the same version cannot both succeed; the version is also the ETag.
    __mapper_args__ = {"version_id_col": version}

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _fold_user_columns(_mapper: Any, _connection: Any, user: User) -> None:
    columns = User.__table__.c
    user.user_name_folded = fold_to_fit(user.user_name, columns.user_name_folded, "user_name")
    user.display_name_folded = fold_to_fit(
        user.display_name, columns.display_name_folded, "display_name"
    )
    user.email_folded = fold_to_fit(user.email, columns.email_folded, "email")


class UserEmail(Base):
    """One of a user's email addresses, as SCIM's multi-valued ``emails`` holds them.

    A table of their own lets filters such as ``emails[type eq "work"].value
    eq "..."`` use an index. The user's ``email`` column mirrors the primary
    address (or the first, when none is primary).
    """

    __tablename__ = "user_emails"
    __table_args__ = (Index("ix_user_emails_value_folded", "value_folded"),)

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str] = mapped_column(String(320))
    value_folded: Mapped[str] = mapped_column(folded_text(320))
    type: Mapped[str | None] = mapped_column(String(64))
    # None when the client sent no primary flag, so that the address reads back as sent.
    primary: Mapped[bool | None] = mapped_column()
    display: Mapped[str | None] = mapped_column(String(320))
