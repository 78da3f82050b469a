"""Invitation delivery after commit, and the built-in plugin that logs it."""

from __future__ import annotations

import logging
from typing import Any

from access_platform.hookspecs import hookimpl
from access_platform.invitations.models import Invitation
from access_platform.plugins import call_each

log = logging.getLogger(__name__)


def deliver_after_commit(request: Any, invitation: Invitation, token: str, event: str) -> None:
    """Call the delivery hooks once the request's transaction has committed.

    If the transaction aborts, nothing is delivered, so no one receives an
    invitation that does not exist.
    """
    plugin_manager = request.registry.plugin_manager
    settings = request.registry.settings

    def deliver(committed: bool) -> None:
        if not committed:
            return
        call_each(
            plugin_manager.hook.access_platform_invitation_issued,
            f"delivering invitation {invitation.id} ({event})",
            log,
            invitation=invitation,
            token=token,
            event=event,
            settings=settings,
        )

    request.tm.get().addAfterCommitHook(deliver)


class LoggedInvitationDelivery:
    """Built-in plugin: log each issued invitation, without its token."""

    @hookimpl
    def access_platform_invitation_issued(
        self, invitation: Invitation, token: str, event: str, settings: dict[str, Any]
    ) -> None:
        log.info(
            "invitation %s %s for %s to workspace %s, expires %s",
            invitation.id,
            event,
            invitation.email,
            invitation.workspace_id,
            invitation.expires_at.isoformat(),
        )
