"""The invitation table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from access_platform.db import Base, UTCDateTime, folded_text, new_id, utcnow

INVITATION_STATUSES = ("pending", "accepted", "cancelled", "expired")


class Invitation(Base):
    """An invitation of an email address to a workspace with a role.

    A pending invitation past ``expires_at`` is reported as ``expired``
    when read; the stored status changes when something next touches it.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(
            "invitation_status IN ('pending', 'accepted', 'cancelled', 'expired')",
            name="invitation_status",
        ),
        # One pending invitation per address and workspace.
        Index(
            "uq_invitations_pending",
            "email_folded",
            "workspace_id",
            unique=True,
            sqlite_where=text("invitation_status = 'pending'"),
            postgresql_where=text("invitation_status = 'pending'"),
        ),
        Index("ix_invitations_workspace_id", "workspace_id", "created_at", "id"),
        Index("ix_invitations_created_at", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320))
    email_folded: Mapped[str] = mapped_column(folded_text(320))
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="RESTRICT"))
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="RESTRICT"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[str | None] = mapped_column(
        ForeignKey("role_assignments.id", ondelete="SET NULL")
    )
    invitation_status: Mapped[str] = mapped_column(String(16), default="pending")
    invited_by: Mapped[str | None] = mapped_column(String(64))
    token_digest: Mapped[str] = mapped_column(String(64))
    sent_count: Mapped[int] = mapped_column(default=1)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}
