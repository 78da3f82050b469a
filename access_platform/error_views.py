"""Exception views: every error leaves as Problem Details or as a SCIM error.

Which envelope is chosen by path (see :func:`access_platform.errors.render_error`),
never by the ``Accept`` header, so no client gets an HTML page, an empty
body or a 406 instead of an error it can read.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pyramid_retry
from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPException, HTTPForbidden, HTTPNotFound
from pyramid.response import Response
from pyramid.view import exception_view_config
from pyramid_retry import is_last_attempt
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError

from access_platform.errors import DATABASE_UNAVAILABLE, ApiError, problem_type, render_error

log = logging.getLogger(__name__)

CONCURRENT_UPDATE = problem_type("concurrent-update")

UNAUTHENTICATED_DETAIL = {
    "api": (
        "Authentication required: send an X-API-Key header, a session cookie, "
        "or a credential of a method that WWW-Authenticate names."
    ),
    "scim": "Authentication required: send Authorization: Bearer with a valid SCIM token.",
}


def error_response(request: Any, error: ApiError) -> Response:
    """Render ``error`` in the envelope of the request's surface."""
    if error.status == 422 and request.api_surface == "scim":
        # SCIM has no 422: RFC 7644 section 3.12 reports invalid values as 400.
        error = replace(error, status=400)

    headers = dict(error.headers)
    if error.status == 401:
        challenges = request.registry.plugin_manager.hook.access_platform_auth_challenges(
            request=request
        )
        if challenges:
            headers["WWW-Authenticate"] = ", ".join(challenges)

    body, media_type = render_error(error, request.path, request.request_id)
    response = Response(body=body, status=error.status)
    response.headers["Content-Type"] = media_type
    response.headers.update(headers)
    return response


def _unauthenticated(request: Any) -> Response | None:
    """Return a 401 when a request to an authenticated surface carries no valid credential."""
    surface = request.api_surface
    if surface is None or request.identity is not None:
        return None
    return error_response(request, ApiError(401, UNAUTHENTICATED_DETAIL[surface]))


@exception_view_config(ApiError)
def api_error(exc: ApiError, request: Any) -> Response:
    if exc.status >= 500:
        log.error("request %s failed with %s: %s", request.request_id, exc.status, exc.detail)
    return error_response(request, exc)


@exception_view_config(HTTPNotFound)
def not_found(exc: HTTPNotFound, request: Any) -> Response:
    # An unauthenticated client gets 401 for every path under /api/v1 and
    # /scim/v2, so that it cannot probe which ids exist.
    unauthenticated = _unauthenticated(request)
    if unauthenticated is not None:
        return unauthenticated

    if isinstance(exc, PredicateMismatch):
        allowed = allowed_methods(request)
        if allowed and request.method not in allowed:
            allow = ", ".join(sorted(allowed))
            return error_response(
                request,
                ApiError(
                    405,
                    f"{request.method} is not supported on {request.path}; use {allow}.",
                    headers={"Allow": allow},
                ),
            )

    return error_response(request, ApiError(404, f"No resource exists at {request.path}."))


@exception_view_config(HTTPForbidden)
def forbidden(exc: HTTPForbidden, request: Any) -> Response:
    unauthenticated = _unauthenticated(request)
    if unauthenticated is not None:
        return unauthenticated

    permission = getattr(exc.result, "permission", None)
    if permission:
        detail = f"This request needs the {permission} permission, which the caller does not hold."
    else:
        detail = "The caller is not allowed to make this request."
    return error_response(request, ApiError(403, detail))


@exception_view_config(HTTPException)
def http_exception(exc: HTTPException, request: Any) -> Response:
    detail = exc.detail or exc.explanation or exc.title
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else {}
    return error_response(request, ApiError(exc.code, str(detail), headers=headers))


@exception_view_config(StaleDataError)
def concurrent_update(exc: StaleDataError, request: Any) -> Response:
    # pyramid_retry runs the request again while attempts remain, so this
    # response goes out only when every attempt met another concurrent change.
    if is_last_attempt(request):
        log.warning("concurrent update not resolved by retries (request id %s)", request.request_id)
    error = ApiError(
        409,
        "The resource was changed by other requests at the same time; read it again and retry.",
        type=CONCURRENT_UPDATE,
        title="Concurrent update",
    )
    return error_response(request, error)


@exception_view_config(DBAPIError)
@exception_view_config(PoolTimeoutError)
def database_error(exc: Exception, request: Any) -> Response:
    if isinstance(exc, DBAPIError) and not _is_unavailable(exc):
        return unexpected_error(exc, request)
    if _is_sqlite_busy(exc):
        # Another writer held SQLite's write lock past the busy timeout, or
        # committed after this request read: running the request again
        # usually succeeds, and pyramid_retry does so while attempts remain.
        pyramid_retry.mark_error_retryable(exc)
    log.warning(
        "database unavailable (request id %s): %s", request.request_id, exc.__class__.__name__
    )
    error = ApiError(
        503,
        "The database is unavailable or too busy; retry the request shortly.",
        type=DATABASE_UNAVAILABLE,
        title="Database unavailable",
        headers={"Retry-After": "5"},
    )
    return error_response(request, error)


def _is_sqlite_busy(exc: Exception) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def _is_unavailable(exc: DBAPIError) -> bool:
    return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)


@exception_view_config(Exception)
def unexpected_error(exc: Exception, request: Any) -> Response:
    log.exception(
        "unexpected error in %s %s (request id %s)",
        request.method,
        request.path,
        request.request_id,
    )
    detail = (
        "The server failed to handle the request. "
        f"Quote request id {request.request_id} when reporting it."
    )
    if request.registry.settings.get("access_platform.expose_exception_details"):
        detail += f" ({exc.__class__.__name__})"
    return error_response(request, ApiError(500, detail))


def allowed_methods(request: Any) -> set[str]:
    """Return the methods that some view accepts for the request's context and view name."""
    view_methods = request.registry.view_methods
    methods: set[str] = set()
    for cls in type(request.context).__mro__:
        methods |= view_methods.get((cls, request.view_name), set())
    return methods


def collect_view_methods(registry: Any) -> dict[tuple[type, str], set[str]]:
    """Map each (context class, view name) to the request methods its views accept.

    Built once after configuration is committed, from Pyramid's introspector.
    """
    view_methods: dict[tuple[type, str], set[str]] = {}
    for entry in registry.introspector.get_category("views"):
        view = entry["introspectable"]
        if view["exception_only"] or view["context"] is None:
            continue
        methods = view["request_methods"]
        if not methods:
            continue
        if isinstance(methods, str):
            methods = (methods,)
        key = (view["context"], view["name"])
        view_methods.setdefault(key, set()).update(methods)
        # Pyramid serves HEAD wherever it serves GET.
        if "GET" in methods:
            view_methods[key].add("HEAD")
    return view_methods
