"""OpenAPI operations and schemas of ``/api/v1/invitations``."""

from __future__ import annotations

from access_platform.invitations.models import INVITATION_STATUSES
from access_platform.invitations.schemas import InvitationAcceptSchema, InvitationCreateSchema
from access_platform.invitations.services import INVITATION_SORT_KEYS
from access_platform.openapi.colander_schema import json_schema
from access_platform.openapi.components import (
    ID,
    INTEGER,
    NULLABLE_ID,
    NULLABLE_TIMESTAMP,
    STRING,
    TIMESTAMP,
    list_parameters,
    obj,
    page_of,
    query_parameter,
    ref,
)
from access_platform.openapi.operation import Operation

TAG = "Invitations"
STATUS = {"type": "string", "enum": list(INVITATION_STATUSES)}

SCHEMAS = {
    "Invitation": obj(
        {
            "id": ID,
            "email": STRING,
            "workspace_id": ID,
            "role_id": ID,
            "user_id": NULLABLE_ID,
            "assignment_id": NULLABLE_ID,
            "invitation_status": STATUS,
            "invited_by": NULLABLE_ID,
            "sent_count": INTEGER,
            "last_sent_at": NULLABLE_TIMESTAMP,
            "expires_at": TIMESTAMP,
            "accepted_at": NULLABLE_TIMESTAMP,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        }
    ),
    "InvitationCreate": json_schema(InvitationCreateSchema()),
    "InvitationAccept": json_schema(InvitationAcceptSchema()),
}

OPERATIONS = (
    Operation(
        "GET",
        "/invitations",
        "listInvitations",
        "List invitations",
        TAG,
        description="Needs the `invitations.read` permission tenant-wide, or in the workspace "
        "that workspace_id names.",
        query=list_parameters(
            list(INVITATION_SORT_KEYS),
            "-created_at",
            (
                query_parameter("workspace_id", STRING, "Exact workspace id."),
                query_parameter("invitation_status", STATUS, "Exact status."),
            ),
        ),
        response=page_of(ref("Invitation")),
    ),
    Operation(
        "POST",
        "/invitations",
        "createInvitation",
        "Invite someone to a workspace",
        TAG,
        description="Needs the `invitations.write` permission in the workspace the body names. "
        "An existing user with the address gets the role at once; otherwise an invited user "
        "is created.",
        body=ref("InvitationCreate"),
        status=201,
        response=ref("Invitation"),
        response_headers=("Location", "ETag"),
        errors=(404, 409),
        creates="/invitations/{invitationId}",
    ),
    Operation(
        "GET",
        "/invitations/{invitationId}",
        "getInvitation",
        "Get an invitation",
        TAG,
        permission="invitations.read",
        response=ref("Invitation"),
        response_headers=("ETag",),
    ),
    Operation(
        "POST",
        "/invitations/{invitationId}/resend",
        "resendInvitation",
        "Resend an invitation with a new token",
        TAG,
        permission="invitations.write",
        response=ref("Invitation"),
        response_headers=("ETag",),
        errors=(409,),
    ),
    Operation(
        "POST",
        "/invitations/{invitationId}/cancel",
        "cancelInvitation",
        "Cancel an invitation",
        TAG,
        permission="invitations.write",
        response=ref("Invitation"),
        response_headers=("ETag",),
        errors=(409,),
    ),
    Operation(
        "POST",
        "/invitations/{invitationId}/accept",
        "acceptInvitation",
        "Accept an invitation",
        TAG,
        description="Needs no credential: the token is one. A caller without a credential "
        "gets 401 rather than 404 for an unknown invitation.",
        body=ref("InvitationAccept"),
        response=ref("Invitation"),
        response_headers=("ETag",),
        errors=(401, 403, 409),
        public=True,
    ),
)
