"""The workspace table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from access_platform.db import Base, UTCDateTime, folded_text, new_id, utcnow
from access_platform.users.models import fold_to_fit


class Workspace(Base):
    __tablename__ = "workspaces"
    __table_args__ = (Index("ix_workspaces_created_at", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(folded_text(255), unique=True)
    description: Mapped[str | None] = mapped_column(String(1024))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}


@event.listens_for(Workspace, "before_insert")
@event.listens_for(Workspace, "before_update")
def _fold_workspace_columns(_mapper: Any, _connection: Any, workspace: Workspace) -> None:
    column = Workspace.__table__.c.name_folded
    workspace.name_folded = fold_to_fit(workspace.name, column, "name")
