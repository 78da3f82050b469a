"""Roles, the permissions they grant, and the assignments of roles to principals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from access_platform.db import Base, UTCDateTime, new_id, utcnow
from access_platform.users.models import fold_to_fit

# Built-in roles have fixed ids, so that the migration that seeds them and
# the code that assigns them agree.
TENANT_ADMIN_ROLE_ID = "00000000-0000-4000-8000-000000000001"
USER_ADMIN_ROLE_ID = "00000000-0000-4000-8000-000000000002"
AUDITOR_ROLE_ID = "00000000-0000-4000-8000-000000000003"
WORKSPACE_OWNER_ROLE_ID = "00000000-0000-4000-8000-000000000004"
WORKSPACE_MEMBER_ROLE_ID = "00000000-0000-4000-8000-000000000005"

# A role listing this permission name has every permission.
ALL_PERMISSIONS_NAME = "*"

ROLE_SCOPES = ("tenant", "workspace")
PRINCIPAL_TYPES = ("user", "group")


class Role(Base):
    __tablename__ = "roles"
    __table_args__ = (
        CheckConstraint("scope IN ('tenant', 'workspace')", name="scope"),
        Index("ix_roles_created_at", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(String(1024))
    scope: Mapped[str] = mapped_column(String(16), default="tenant")
    builtin: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    permission_rows: Mapped[list[RolePermission]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RolePermission.permission"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def permissions(self) -> list[str]:
        return [row.permission for row in self.permission_rows]


@event.listens_for(Role, "before_insert")
@event.listens_for(Role, "before_update")
def _fold_role_columns(_mapper: Any, _connection: Any, role: Role) -> None:
    role.name_folded = fold_to_fit(role.name, Role.__table__.c.name_folded, "name")


class RolePermission(Base):
    __tablename__ = "role_permissions"

    role_id: Mapped[str] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(String(128), primary_key=True)


class RoleAssignment(Base):
    """A role held by a user or group, tenant-wide (no workspace) or in one workspace.

    Two partial unique indexes keep an assignment from existing twice,
    because a plain unique constraint treats every NULL workspace as
    distinct.
    """

    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint("principal_type IN ('user', 'group')", name="principal_type"),
        Index(
            "uq_role_assignments_tenant",
            "role_id",
            "principal_type",
            "principal_id",
            unique=True,
            sqlite_where=text("workspace_id IS NULL"),
            postgresql_where=text("workspace_id IS NULL"),
        ),
        Index(
            "uq_role_assignments_workspace",
            "role_id",
            "principal_type",
            "principal_id",
            "workspace_id",
            unique=True,
            sqlite_where=text("workspace_id IS NOT NULL"),
            postgresql_where=text("workspace_id IS NOT NULL"),
        ),
        Index("ix_role_assignments_workspace_id", "workspace_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="RESTRICT"), index=True)
    principal_type: Mapped[str] = mapped_column(String(16))
    principal_id: Mapped[str] = mapped_column(String(36), index=True)
    workspace_id: Mapped[str | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="RESTRICT")
    )
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
