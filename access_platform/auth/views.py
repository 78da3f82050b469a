"""Views for browser login, logout and the current session."""

from __future__ import annotations

from typing import Any

import colander
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from access_platform.audit.recorder import Actor, record_changes, record_created
from access_platform.auth import services
from access_platform.auth.models import BrowserSession
from access_platform.auth.resources import LoginResource, LogoutResource, SessionResource
from access_platform.auth.throttle import LoginAttempt, ThrottleSettings
from access_platform.error_views import error_response
from access_platform.errors import TOO_MANY_REQUESTS, ApiError, problem_type
from access_platform.payloads import StrictString, validated_body
from access_platform.rbac.permissions import AUTHENTICATED
from access_platform.responses import no_content
from access_platform.users.representation import user_json

LOGIN_FAILED = problem_type("login-failed")


class LoginSchema(colander.MappingSchema):
    user_name = colander.SchemaNode(StrictString(), validator=colander.Length(min=1, max=255))
    password = colander.SchemaNode(StrictString(), validator=colander.Length(min=1, max=1024))


def session_json(request: Any) -> dict[str, Any]:
    identity = request.identity
    return {
        "auth_method": identity.method,
        "credential_id": identity.credential_id,
        "user": user_json(request, identity.user),
        "csrf_token": identity.csrf_token,
    }


def login_failed() -> ApiError:
    # One response for unknown users, wrong passwords and deactivated users,
    # so that login does not reveal which accounts exist.
    return ApiError(
        401,
        "The user name or password is incorrect, or the account is not active.",
        type=LOGIN_FAILED,
        title="Login failed",
    )


def login_throttled(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "Too many failed logins for this user name or from this address. "
        f"Retry after {retry_after} seconds.",
        type=TOO_MANY_REQUESTS,
        title="Too many requests",
        headers={"Retry-After": str(retry_after)},
    )


@view_config(
    context=LoginResource,
    request_method="POST",
    permission=NO_PERMISSION_REQUIRED,
    renderer="json",
)
def login(context: LoginResource, request: Any) -> Any:
    """Check a user name and password, start a session and set its cookie.

    Failed logins are counted per user name and per client address (see
    :mod:`access_platform.auth.throttle`). The 401 and 429 responses are
    returned rather than raised, so that the transaction commits the count.
    """
    body = validated_body(request, LoginSchema())
    settings = request.registry.settings
    attempt = LoginAttempt(
        request.dbsession,
        ThrottleSettings.from_settings(settings),
        body["user_name"],
        request.client_addr,
    )
    retry_after = attempt.begin()
    if retry_after is not None:
        return error_response(request, login_throttled(retry_after))

    user = services.authenticate_password(request.dbsession, body["user_name"], body["password"])
    if user is None:
        attempt.record_failure()
        return error_response(request, login_failed())
    attempt.record_success()

    max_age = settings["access_platform.session.max_age_seconds"]
    # REMOTE_ADDR, not client_addr, which trusts any client's X-Forwarded-For.
    # Behind a proxy, waitress's trusted_proxy setting fills REMOTE_ADDR.
    started = services.start_session(request.dbsession, user, max_age, request.remote_addr)
    record_created(
        request,
        "session.login",
        "session",
        started.browser_session,
        actor=Actor("user", user.id, "password"),
    )
    request.response.set_cookie(
        settings["access_platform.session.cookie_name"],
        started.token,
        max_age=max_age,
        path="/api/v1",
        secure=settings["access_platform.session.cookie_secure"],
        httponly=True,
        samesite=settings["access_platform.session.cookie_samesite"],
    )
    return {
        "auth_method": "session",
        "credential_id": started.browser_session.id,
        "user": user_json(request, user),
        "csrf_token": started.browser_session.csrf_token,
        "expires_at": started.browser_session.expires_at,
    }


@view_config(
    context=SessionResource, request_method="GET", permission=AUTHENTICATED, renderer="json"
)
def current_session(context: SessionResource, request: Any) -> dict[str, Any]:
    """Return who the caller is, how they authenticated, and the CSRF token for cookie sessions."""
    return session_json(request)


@view_config(context=LogoutResource, request_method="POST", permission=AUTHENTICATED)
def logout(context: LogoutResource, request: Any) -> Any:
    """End the caller's browser session on the server and clear its cookie."""
    identity = request.identity
    if identity.method != "session":
        raise ApiError(
            409,
            f"This request was authenticated by {identity.method}, not by a session cookie; "
            "there is no session to log out of.",
            type=problem_type("not-a-session"),
            title="No session to end",
        )

    browser_session = request.dbsession.get(BrowserSession, identity.credential_id)
    with record_changes(request, "session.logout", "session", browser_session):
        services.end_session(browser_session)

    response = no_content(request)
    cookie_name = request.registry.settings["access_platform.session.cookie_name"]
    response.delete_cookie(cookie_name, path="/api/v1")
    return response
