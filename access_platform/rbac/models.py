"""Roles, the permissions they grant, and who holds them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from access_platform.db import Base, UTCDateTime, new_id, utcnow

# The built-in tenant administrator role. Its id is fixed so that the
# migration that seeds it and the code that assigns it agree.
TENANT_ADMIN_ROLE_ID = "00000000-0000-4000-8000-000000000001"

# A role holding this permission name has every permission.
ALL_PERMISSIONS_NAME = "*"


class Role(Base):
    __tablename__ = "roles"
    __table_args__ = (CheckConstraint("scope IN ('tenant', 'workspace')", name="scope"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(String(1024))
    scope: Mapped[str] = mapped_column(String(16), default="tenant")
    builtin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RolePermission(Base):
    __tablename__ = "role_permissions"

    role_id: Mapped[str] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(String(128), primary_key=True)


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint("principal_type IN ('user', 'group')", name="principal_type"),
        UniqueConstraint(
            "role_id", "principal_type", "principal_id", name="uq_role_assignments_role_principal"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="RESTRICT"), index=True)
    principal_type: Mapped[str] = mapped_column(String(16))
    principal_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
