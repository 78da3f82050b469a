"""The user table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from access_platform.db import Base, UTCDateTime, new_id, utcnow

USER_STATUSES = ("active", "deactivated", "invited")


def fold_user_name(user_name: str) -> str:
    """Return the form of a user name used for uniqueness and lookups.

    User names are compared case-insensitively (SCIM's ``userName`` has
    ``caseExact: false``). Folding in Python rather than with SQL ``lower()``
    gives the same result on SQLite, whose ``lower()`` folds ASCII only,
    and on PostgreSQL.
    """
    return user_name.casefold()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'deactivated', 'invited')", name="status"),
        Index("ix_users_external_id", "external_id"),
        Index("ix_users_email", "email"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_name: Mapped[str] = mapped_column(String(255))
    user_name_folded: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    external_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")
    source: Mapped[str] = mapped_column(String(64), default="local")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:
        return self.status == "active"
