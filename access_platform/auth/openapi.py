"""OpenAPI operations and schemas of ``/api/v1/auth``: login, logout and the current session."""

from __future__ import annotations

from access_platform.auth.views import LoginSchema
from access_platform.openapi.colander_schema import json_schema
from access_platform.openapi.components import ID, NULLABLE_STRING, STRING, TIMESTAMP, obj, ref
from access_platform.openapi.operation import Operation

TAG = "Session"

SESSION_PROPERTIES = {
    "auth_method": {"type": "string", "description": "session, api_key, or a plugin's method."},
    "credential_id": ID,
    "user": ref("User"),
    "csrf_token": {
        **NULLABLE_STRING,
        "description": "Send it as X-CSRF-Token on unsafe requests; null for API keys.",
    },
}

SCHEMAS = {
    "Login": json_schema(LoginSchema()),
    "Session": obj(SESSION_PROPERTIES),
    "StartedSession": obj({**SESSION_PROPERTIES, "csrf_token": STRING, "expires_at": TIMESTAMP}),
}

OPERATIONS = (
    Operation(
        "POST",
        "/auth/login",
        "login",
        "Log in with a user name and password",
        TAG,
        description="Starts a session and sets its HttpOnly cookie. An unknown user, a wrong "
        "password and an inactive account get the same 401. Too many failed logins for one "
        "user name or client address get 429 with Retry-After until the block ends.",
        body=ref("Login"),
        response=ref("StartedSession"),
        errors=(401, 429),
        public=True,
    ),
    Operation(
        "POST",
        "/auth/logout",
        "logout",
        "End the session",
        TAG,
        description="Revokes the session on the server and clears its cookie. A request "
        "authenticated by an API key gets 409.",
        status=204,
        errors=(409,),
    ),
    Operation(
        "GET",
        "/auth/session",
        "getSession",
        "Get the caller's identity",
        TAG,
        description="Who the caller is, how they authenticated, and the CSRF token of a "
        "cookie session.",
        response=ref("Session"),
    ),
)
