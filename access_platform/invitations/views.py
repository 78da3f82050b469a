"""Views for ``/api/v1/invitations``."""

from __future__ import annotations

from typing import Any

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from access_platform.etags import set_etag
from access_platform.invitations import services
from access_platform.invitations.models import INVITATION_STATUSES, Invitation
from access_platform.invitations.resources import (
    AcceptAction,
    CancelAction,
    InvitationCollection,
    InvitationResource,
    ResendAction,
)
from access_platform.invitations.schemas import (
    INVITATION_READ_ONLY_FIELDS,
    InvitationAcceptSchema,
    InvitationCreateSchema,
)
from access_platform.listing import ListQuery, envelope, fetch_page, invalid_parameter, max_limit
from access_platform.payloads import validated_body
from access_platform.rbac.permissions import AUTHENTICATED
from access_platform.responses import created, query_params
from access_platform.security import require_permission


def invitation_json(request: Any, invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "workspace_id": invitation.workspace_id,
        "role_id": invitation.role_id,
        "user_id": invitation.user_id,
        "assignment_id": invitation.assignment_id,
        "invitation_status": services.status_of(invitation),
        "invited_by": invitation.invited_by,
        "sent_count": invitation.sent_count,
        "last_sent_at": invitation.last_sent_at,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
        "created_at": invitation.created_at,
        "updated_at": invitation.updated_at,
    }


def _answer(request: Any, invitation: Invitation) -> dict[str, Any]:
    set_etag(request, invitation.version)
    return invitation_json(request, invitation)


@view_config(
    context=InvitationCollection, request_method="GET", permission=AUTHENTICATED, renderer="json"
)
def list_invitations(context: InvitationCollection, request: Any) -> dict[str, Any]:
    """List invitations; with ``workspace_id`` the permission is checked in that workspace only."""
    params = query_params(request)
    query = ListQuery.from_request(
        params,
        services.INVITATION_SORT_KEYS,
        "-created_at",
        {"workspace_id", "invitation_status"},
        max_limit=max_limit(request),
    )
    status = params.get("invitation_status")
    if status is not None and status not in INVITATION_STATUSES:
        raise invalid_parameter(
            "invitation_status", f"expected one of {', '.join(INVITATION_STATUSES)}."
        )
    require_permission(request, "invitations.read", params.get("workspace_id"))

    page = fetch_page(
        request.dbsession,
        services.filtered_invitations(params),
        query,
        services.INVITATION_SORT_KEYS,
        Invitation.id,
    )
    return envelope(
        [invitation_json(request, item) for item in page.items], page.next_cursor, page.total
    )


@view_config(
    context=InvitationCollection, request_method="POST", permission=AUTHENTICATED, renderer="json"
)
def create_invitation(context: InvitationCollection, request: Any) -> dict[str, Any]:
    """Invite someone; the body's workspace sets the scope whose permission is checked."""
    body = validated_body(request, InvitationCreateSchema(), INVITATION_READ_ONLY_FIELDS)
    invitation = services.create_invitation(request, body)
    created(
        request,
        request.application_url + f"/api/v1/invitations/{invitation.id}",
        invitation.version,
    )
    return invitation_json(request, invitation)


@view_config(
    context=InvitationResource, request_method="GET", permission="invitations.read", renderer="json"
)
def get_invitation(context: InvitationResource, request: Any) -> dict[str, Any]:
    return _answer(request, context.invitation)


@view_config(
    context=ResendAction, request_method="POST", permission="invitations.write", renderer="json"
)
def resend_invitation(context: ResendAction, request: Any) -> dict[str, Any]:
    return _answer(request, services.resend_invitation(request, context.__parent__.invitation))


@view_config(
    context=CancelAction, request_method="POST", permission="invitations.write", renderer="json"
)
def cancel_invitation(context: CancelAction, request: Any) -> dict[str, Any]:
    return _answer(request, services.cancel_invitation(request, context.__parent__.invitation))


@view_config(
    context=AcceptAction, request_method="POST", permission=NO_PERMISSION_REQUIRED, renderer="json"
)
def accept_invitation(context: AcceptAction, request: Any) -> dict[str, Any]:
    """Accept an invitation with its token; no credential is needed, the token is one."""
    body = validated_body(request, InvitationAcceptSchema())
    invitation = services.accept_invitation(
        request, context.__parent__.invitation, body["token"], body["password"]
    )
    return _answer(request, invitation)
