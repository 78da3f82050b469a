"""The group, group membership and group ownership tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, event, false
from sqlalchemy.orm import Mapped, mapped_column

from access_platform.db import Base, UTCDateTime, folded_text, new_id, utcnow
from access_platform.users.models import fold_to_fit

MEMBERSHIP_MODES = ("assigned", "dynamic")
MEMBER_TYPES = ("user", "group")


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("membership_mode IN ('assigned', 'dynamic')", name="membership_mode"),
        Index("ix_groups_external_id", "external_id"),
        Index("ix_groups_source", "source"),
        Index("ix_groups_membership_mode", "membership_mode"),
        Index("ix_groups_created_at", "created_at", "id"),
        Index("ix_groups_updated_at", "updated_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    display_name: Mapped[str] = mapped_column(String(255))
    display_name_folded: Mapped[str] = mapped_column(folded_text(255), unique=True)
    description: Mapped[str | None] = mapped_column(String(1024))
    source: Mapped[str] = mapped_column(String(64), default="local")
    membership_mode: Mapped[str] = mapped_column(String(16), default="assigned")
    external_id: Mapped[str | None] = mapped_column(String(255))
    # SCIM extension objects of groups provisioned over SCIM, as SCIM JSON.
    scim_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The SCIM token that created the group, for groups provisioned over SCIM.
    scim_token_id: Mapped[str | None] = mapped_column(String(36))
    # True when a SCIM client gave no displayName: the group is then named
    # after its id, and SCIM responses leave displayName out.
    display_name_generated: Mapped[bool] = mapped_column(default=False, server_default=false())
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}


@event.listens_for(Group, "before_insert")
@event.listens_for(Group, "before_update")
def _fold_group_columns(_mapper: Any, _connection: Any, group: Group) -> None:
    column = Group.__table__.c.display_name_folded
    group.display_name_folded = fold_to_fit(group.display_name, column, "display_name")


class GroupMember(Base):
    """A user or group that is a direct member of a group.

    ``member_id`` names a user or a group, as ``member_type`` records; ids are
    UUIDs, so one column serves both. The primary key makes a member
    appear at most once per group, even under concurrent adds, and orders
    the keyset paging of a group's members.
    """

    __tablename__ = "group_members"
    __table_args__ = (
        CheckConstraint("member_type IN ('user', 'group')", name="member_type"),
        Index("ix_group_members_member_id", "member_id"),
    )

    group_id: Mapped[str] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_type: Mapped[str] = mapped_column(String(8))
    # The member's display name as a SCIM client sent it; when empty, SCIM
    # shows the member's current name.
    display: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GroupOwner(Base):
    """A user who owns a group."""

    __tablename__ = "group_owners"
    __table_args__ = (Index("ix_group_owners_user_id", "user_id"),)

    group_id: Mapped[str] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
