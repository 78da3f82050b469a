"""Every hook a plugin can implement, in one place.

A plugin is a module or object with functions named after these specs and
decorated with :data:`hookimpl`. Hooks are grouped by phase: start-up,
authentication, permissions and invitations, SCIM schemas,
group-source guardrails, and the audit trail. Each spec says
when it is called, what its arguments are, and how results from several
plugins are combined:

- *first result wins*: plugins are called in order until one returns
  something other than ``None``; later plugins are not called.
- *collect all*: every plugin is called and the non-``None`` results are
  returned as a list.
- *any veto*: every plugin is called; if any returns a reason, the action
  is rejected with that reason.

Plugins registered later are called first, as in pluggy generally; a plugin
that must run before or after the built-ins marks its implementation with
``@hookimpl(tryfirst=True)`` or ``@hookimpl(trylast=True)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

    from access_platform.guardrails import GroupChange
    from access_platform.identity import AuthResult
    from access_platform.invitations.models import Invitation
    from access_platform.rbac.permissions import Permission
    from access_platform.scim.schema import ScimSchema

PROJECT_NAME = "access_platform"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- Start-up -------------------------------------------------------------


@hookspec
def access_platform_configure(config: Configurator, plugin_settings: dict[str, Any]) -> None:
    """Configure the plugin once, at start-up, after the core is configured.

    Called for every enabled plugin, in registration order: the built-ins,
    then the plugins in the order ``access_platform.plugins`` lists them. Read
    settings from ``plugin_settings`` and raise
    :class:`pyramid.exceptions.ConfigurationError` with the key's name when a
    value is missing or invalid; that stops start-up.

    :param config: the application's configurator. A plugin may add views
        or request methods here.
    :param plugin_settings: the ini settings under
        ``access_platform.<plugin name>.``, with that prefix removed.
    :return: nothing; results are ignored.
    """


# --- Authentication -------------------------------------------------------


@hookspec(firstresult=True)
def access_platform_authenticate(request: Request) -> AuthResult | None:
    """Authenticate ``request`` with this plugin's method, if it carries that method's credential.

    Called at most once per request, when the security policy first needs
    the identity. First result wins.

    :param request: the current request. ``request.api_surface`` tells
        whether the path is under ``/api/v1`` (``"api"``), ``/scim/v2``
        (``"scim"``) or neither (``None``); a method accepts only the
        surfaces it is meant for.
    :return: ``None`` when the request does not carry this method's
        credential, so that the next method is asked; an
        :class:`~access_platform.identity.Identity` when the credential is
        valid; an :class:`~access_platform.identity.AuthFailure` when the
        credential is this method's but invalid, expired or revoked. A failure
        ends authentication: the request gets 401 and no other method is
        asked.
    """


@hookspec
def access_platform_auth_challenges(request: Request) -> str | None:
    """Return this method's ``WWW-Authenticate`` challenge for a 401 on ``request``.

    Called when a request under ``/api/v1`` or ``/scim/v2`` is answered with
    401. Collect all: every challenge returned is sent.

    :param request: the request being rejected; use ``request.api_surface``
        to offer a challenge only where the method is accepted.
    :return: a challenge such as ``'Bearer realm="scim"'``, or ``None``.
    """


# --- Permissions and invitations ---------------------------------------------


@hookspec
def access_platform_permissions() -> list[Permission] | None:
    """Return the permissions this plugin defines, for the catalogue.

    Called once at start-up. Collect all: the lists from every plugin are
    joined into the catalogue that roles draw from and ``GET
    /api/v1/permissions`` lists. Two plugins defining the same name stop
    start-up.

    :return: a list of :class:`~access_platform.rbac.permissions.Permission`,
        or ``None``.
    """


@hookspec
def access_platform_invitation_issued(
    invitation: Invitation, token: str, event: str, settings: dict[str, Any]
) -> None:
    """Deliver an invitation, for example by email. Called after the transaction commits.

    Called when an invitation is created (``event="created"``) and when it
    is resent (``event="resent"``). Collect all: every plugin is called and
    results are ignored; an exception is logged and does not undo the
    invitation.

    :param invitation: the committed invitation row (read it, do not change it).
    :param token: the one-time acceptance token, shown to this hook only and
        stored only as a digest. The invitee accepts with
        ``POST /api/v1/invitations/{id}/accept``. Never log it.
    :param event: ``"created"`` or ``"resent"``.
    :param settings: the application settings.
    """


# --- SCIM schemas -----------------------------------------------------------


@hookspec
def access_platform_scim_schemas() -> list[ScimSchema] | None:
    """Return the SCIM schemas (core or extension) that this plugin defines.

    Called once at start-up. Collect all: the lists from every plugin are
    joined. Two plugins defining the same schema URN stop start-up.

    :return: a list of :class:`~access_platform.scim.schema.ScimSchema`, or
        ``None``.
    """


# --- Group-source guardrails -------------------------------------------------


@hookspec
def access_platform_group_change_veto(request: Request | None, change: GroupChange) -> str | None:
    """Return a reason if ``change`` must not be made to a group through ``/api/v1``.

    Called before every membership or ownership change made through the
    REST API. Any veto: if any plugin returns a reason, the change is
    rejected with 409 Problem Details whose ``detail`` is the first reason.
    SCIM requests are not checked, because the identity provider is the
    authority over the groups it manages.

    :param request: the request making the change, or ``None`` outside a
        request (command-line tools).
    :param change: the group, the kind of change and the member or owner.
    :return: a sentence that gives the client the reason, or ``None`` to allow.
    """


# --- Audit trail ------------------------------------------------------------------


@hookspec
def access_platform_audit_event(event: dict[str, Any], settings: dict[str, Any]) -> None:
    """Receive an audit event, for example to forward it to a SIEM. Called after the commit.

    Called once for each event whose transaction committed, in the order
    the events were recorded. An event recorded by a request that rolled
    back, or by a ``$batch`` item that failed, is never passed here.
    Collect all: every plugin is called and results are ignored; an
    exception is logged and changes neither the event nor the response.
    Events recorded by the ``access-platform`` command are passed in the
    command's process, where ``access_platform_configure`` is not called.

    :param event: the committed event as ``GET /api/v1/auditEvents/{id}``
        returns it: plain JSON types, timestamps as RFC 3339 text. It
        contains no secret. Read it, do not change it.
    :param settings: the application settings.
    """
