"""``/api/v1/invitations`` and the actions on one invitation."""

from __future__ import annotations

from typing import Any

from access_platform.invitations.models import Invitation
from access_platform.traversal import Collection, Resource


class ResendAction(Resource):
    """``/api/v1/invitations/{invitationId}/resend``."""


class CancelAction(Resource):
    """``/api/v1/invitations/{invitationId}/cancel``."""


class AcceptAction(Resource):
    """``/api/v1/invitations/{invitationId}/accept``: the invitee accepts with the token."""


class InvitationResource(Resource):
    """One invitation. It lies in the scope of its workspace."""

    children = {"resend": ResendAction, "cancel": CancelAction, "accept": AcceptAction}

    def __init__(self, request: Any, name: str, parent: Resource, invitation: Invitation) -> None:
        super().__init__(request, name, parent)
        self.invitation = invitation
        self.workspace_id = invitation.workspace_id


class InvitationCollection(Collection):
    """All invitations. A child name is an invitation id."""

    model = Invitation
    item_resource = InvitationResource
    item_parameter = "invitationId"
