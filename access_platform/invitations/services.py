"""The invitation lifecycle: invite, resend, cancel, accept.

Inviting an address that belongs to a user assigns the role to that user
at once; inviting an unknown address creates an ``invited`` user, who
cannot log in until they accept, and seeds the assignment for them.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access_platform import credentials
from access_platform.audit.recorder import (
    Actor,
    record,
    record_changes,
    record_created,
    row_summary,
)
from access_platform.auth.passwords import hash_password
from access_platform.db import utcnow
from access_platform.errors import ApiError, problem_type, validation_error
from access_platform.invitations.delivery import deliver_after_commit
from access_platform.invitations.models import Invitation
from access_platform.listing import SortKey, datetime_sort_key
from access_platform.rbac.models import Role, RoleAssignment
from access_platform.rbac.services import find_assignment, require_holdings
from access_platform.security import require_permission
from access_platform.users.models import User, fold, fold_to_fit
from access_platform.workspaces.models import Workspace

log = logging.getLogger(__name__)

INVITATION_EXISTS = problem_type("invitation-pending")
ALREADY_HOLDS_ROLE = problem_type("already-assigned")
INVITATION_NOT_PENDING = problem_type("invitation-not-pending")
INVITATION_TOKEN_INVALID = problem_type("invitation-token-invalid")

INVITATION_SORT_KEYS = {
    "created_at": datetime_sort_key(Invitation.created_at),
    "email": SortKey(Invitation.email_folded),
}


def status_of(invitation: Invitation) -> str:
    """Return the status to report: a pending invitation past its expiry is ``expired``."""
    if invitation.invitation_status == "pending" and invitation.expires_at <= utcnow():
        return "expired"
    return invitation.invitation_status


def _lifetime(request: Any) -> timedelta:
    return timedelta(
        seconds=request.registry.settings["access_platform.invitations.lifetime_seconds"]
    )


def _find_user_by_email(dbsession: Session, email: str) -> User | None:
    folded = fold(email)
    return dbsession.scalars(
        select(User)
        .where(or_(User.email_folded == folded, User.user_name_folded == folded))
        .order_by(User.created_at, User.id)
        .limit(1)
    ).first()


def create_invitation(request: Any, fields: dict[str, Any]) -> Invitation:
    """Invite ``fields["email"]`` to a workspace with a role.

    :raises ApiError: 404 for an unknown workspace or role; 422 for a
        tenant-scoped role; 403 without ``invitations.write`` in the
        workspace or when the role grants more than the caller holds; 409
        for a second pending invitation, or when the person already holds
        the role there.
    """
    dbsession = request.dbsession
    # The permission comes first, so that a caller without it cannot learn
    # which workspace and role ids exist.
    require_permission(request, "invitations.write", fields["workspace_id"])
    workspace = dbsession.get(Workspace, fields["workspace_id"])
    if workspace is None:
        raise ApiError(404, f"No workspace with id {fields['workspace_id']} exists.")
    role = dbsession.get(Role, fields["role_id"])
    if role is None:
        raise ApiError(404, f"No role with id {fields['role_id']} exists.")
    if role.scope != "workspace":
        raise validation_error(
            [
                {
                    "pointer": "#/role_id",
                    "detail": f"Role {role.name!r} is tenant-scoped; invite with a workspace role.",
                }
            ]
        )
    require_holdings(request, role.permissions, workspace.id)

    email = fields["email"]
    now = utcnow()
    _expire_lapsed(request, email, workspace.id, now)
    if _pending_for(dbsession, email, workspace.id) is not None:
        raise _already_pending(email, workspace.id)

    user = _find_user_by_email(dbsession, email)
    user_created = False
    if user is None:
        user, user_created = _create_invited_user(dbsession, email)
    if find_assignment(dbsession, role.id, "user", user.id, workspace.id) is not None:
        raise ApiError(
            409,
            f"{email} already holds role {role.name!r} in workspace {workspace.id}.",
            type=ALREADY_HOLDS_ROLE,
            title="Role already assigned",
        )

    assignment = RoleAssignment(
        role_id=role.id,
        principal_type="user",
        principal_id=user.id,
        workspace_id=workspace.id,
        created_by=request.identity.principal_id,
    )
    token = secrets.token_urlsafe(32)
    # A plain id, because a failed flush expires every loaded object.
    workspace_id = workspace.id
    invitation = Invitation(
        email=email,
        email_folded=fold_to_fit(email, Invitation.__table__.c.email_folded, "email"),
        workspace_id=workspace.id,
        role_id=role.id,
        user_id=user.id,
        invited_by=request.identity.principal_id,
        token_digest=credentials.digest(token),
        expires_at=now + _lifetime(request),
        last_sent_at=now,
    )
    try:
        dbsession.add(assignment)
        dbsession.flush()
        invitation.assignment_id = assignment.id
        dbsession.add(invitation)
        dbsession.flush()
    except IntegrityError as error:
        raise _already_pending(email, workspace_id) from error

    log.info(
        "invited user %s to workspace %s with role %s (invitation %s)",
        user.id,
        workspace.id,
        role.id,
        invitation.id,
    )
    if user_created:
        record_created(request, "user.create", "user", user)
    record_created(request, "role_assignment.create", "role_assignment", assignment)
    record_created(request, "invitation.create", "invitation", invitation)
    deliver_after_commit(request, invitation, token, "created")
    return invitation


def _create_invited_user(dbsession: Session, email: str) -> tuple[User, bool]:
    """Create the ``invited`` user for an address, or find the one a concurrent request made.

    Returns the user and whether this call created it.
    """
    try:
        with dbsession.begin_nested():
            user = User(user_name=email, email=email, display_name=email, status="invited")
            dbsession.add(user)
    except IntegrityError:
        # Another invitation of the same address, perhaps to another
        # workspace, created the user first; this one invites that user.
        user = _find_user_by_email(dbsession, email)
        if user is None:
            raise
        return user, False
    return user, True


def _expire_lapsed(request: Any, email: str, workspace_id: str, now: Any) -> None:
    """Mark lapsed pending invitations for the address as expired, and undo what they seeded.

    A new invitation replaces them, so their role assignments, like those of
    a cancelled invitation, are removed.
    """
    dbsession = request.dbsession
    lapsed = dbsession.scalars(
        select(Invitation).where(
            Invitation.email_folded == fold(email),
            Invitation.workspace_id == workspace_id,
            Invitation.invitation_status == "pending",
            Invitation.expires_at <= now,
        )
    ).all()
    for invitation in lapsed:
        with record_changes(request, "invitation.expire", "invitation", invitation):
            _remove_seeded_assignment(request, invitation)
            invitation.invitation_status = "expired"
            invitation.updated_at = now
    if lapsed:
        dbsession.flush()
        log.info("expired %d lapsed invitations for workspace %s", len(lapsed), workspace_id)


def _remove_seeded_assignment(request: Any, invitation: Invitation) -> None:
    if invitation.assignment_id is None:
        return
    dbsession = request.dbsession
    assignment = dbsession.get(RoleAssignment, invitation.assignment_id)
    invitation.assignment_id = None
    if assignment is not None:
        record(
            request,
            "role_assignment.delete",
            "role_assignment",
            assignment.id,
            row_summary(assignment),
        )
        dbsession.delete(assignment)


def _pending_for(dbsession: Session, email: str, workspace_id: str) -> Invitation | None:
    return dbsession.scalars(
        select(Invitation).where(
            Invitation.email_folded == fold(email),
            Invitation.workspace_id == workspace_id,
            Invitation.invitation_status == "pending",
        )
    ).first()


def _already_pending(email: str, workspace_id: str) -> ApiError:
    return ApiError(
        409,
        f"{email} already has a pending invitation to workspace {workspace_id}; "
        "resend or cancel that one.",
        type=INVITATION_EXISTS,
        title="Invitation already pending",
    )


def _require_pending(invitation: Invitation, action: str) -> None:
    status = status_of(invitation)
    if status != "pending":
        raise ApiError(
            409,
            f"Invitation {invitation.id} is {status}; only pending invitations can be {action}.",
            type=INVITATION_NOT_PENDING,
            title="Invitation not pending",
            extensions={"invitation_status": status},
        )


def resend_invitation(request: Any, invitation: Invitation) -> Invitation:
    """Issue a new token, renew the expiry and count the send."""
    _require_pending(invitation, "resent")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with record_changes(request, "invitation.resend", "invitation", invitation):
        invitation.token_digest = credentials.digest(token)
        invitation.expires_at = now + _lifetime(request)
        invitation.sent_count += 1
        invitation.last_sent_at = now
        invitation.updated_at = now
        request.dbsession.flush()
    log.info("resent invitation %s (send %d)", invitation.id, invitation.sent_count)
    deliver_after_commit(request, invitation, token, "resent")
    return invitation


def cancel_invitation(request: Any, invitation: Invitation) -> Invitation:
    """Cancel a pending invitation and remove the assignment it seeded."""
    _require_pending(invitation, "cancelled")
    dbsession = request.dbsession
    with record_changes(request, "invitation.cancel", "invitation", invitation):
        _remove_seeded_assignment(request, invitation)
        invitation.invitation_status = "cancelled"
        invitation.updated_at = utcnow()
        dbsession.flush()
    log.info("cancelled invitation %s", invitation.id)
    return invitation


def accept_invitation(
    request: Any, invitation: Invitation, token: str, password: str | None
) -> Invitation:
    """Accept with the token: activate an invited user, set the password, mark accepted."""
    if not credentials.digests_match(token, invitation.token_digest):
        log.info("rejected acceptance of invitation %s: token does not match", invitation.id)
        raise ApiError(
            403,
            "The invitation token is not valid for this invitation; "
            "use the link from the latest invitation.",
            type=INVITATION_TOKEN_INVALID,
            title="Invitation token invalid",
        )
    _require_pending(invitation, "accepted")

    dbsession = request.dbsession
    user = dbsession.get(User, invitation.user_id)
    now = utcnow()
    # The request carries no credential: the token is one, and the
    # invitation's user is who accepts.
    actor = Actor("user", user.id, "invitation_token", invitation.id)
    with record_changes(request, "user.update", "user", user, actor=actor):
        if user.status == "invited":
            user.status = "active"
            user.updated_at = now
            if password:
                user.password_hash = hash_password(password)
        elif password:
            # The token proves control of the address the invitation went to,
            # which is not enough to take over an account that existed before.
            raise validation_error(
                [
                    {
                        "pointer": "#/password",
                        "detail": "This account existed before the invitation; "
                        "accept without a password and keep the current one.",
                    }
                ]
            )
    with record_changes(request, "invitation.accept", "invitation", invitation, actor=actor):
        invitation.invitation_status = "accepted"
        invitation.accepted_at = now
        invitation.updated_at = now
        dbsession.flush()
    log.info("invitation %s accepted by user %s", invitation.id, user.id)
    return invitation


def filtered_invitations(params: dict[str, str]) -> Select[Any]:
    statement = select(Invitation)
    if "workspace_id" in params:
        statement = statement.where(Invitation.workspace_id == params["workspace_id"])
    status = params.get("invitation_status")
    now = utcnow()
    if status == "pending":
        statement = statement.where(
            Invitation.invitation_status == "pending", Invitation.expires_at > now
        )
    elif status == "expired":
        statement = statement.where(
            or_(
                Invitation.invitation_status == "expired",
                and_(Invitation.invitation_status == "pending", Invitation.expires_at <= now),
            )
        )
    elif status is not None:
        statement = statement.where(Invitation.invitation_status == status)
    return statement
