"""Colander schemas for invitation request bodies."""

from __future__ import annotations

import colander

from access_platform.payloads import StrictString, length

INVITATION_READ_ONLY_FIELDS = frozenset(
    {
        "id",
        "invitation_status",
        "user_id",
        "assignment_id",
        "expires_at",
        "sent_count",
        "created_at",
    }
)


class InvitationCreateSchema(colander.MappingSchema):
    email = colander.SchemaNode(
        StrictString(),
        validator=colander.All(
            length(min=3, max=320), colander.Email(msg="Invalid email address.")
        ),
    )
    workspace_id = colander.SchemaNode(StrictString(), validator=length(min=1, max=36))
    role_id = colander.SchemaNode(StrictString(), validator=length(min=1, max=36))


class InvitationAcceptSchema(colander.MappingSchema):
    token = colander.SchemaNode(StrictString(), validator=length(min=1, max=255))
    password = colander.SchemaNode(
        StrictString(), missing=None, nullable=True, validator=length(min=8, max=1024)
    )
