"""``/api/v1/auth``: login, logout and the current session."""

from __future__ import annotations

from access_platform.traversal import Resource


class LoginResource(Resource):
    """``/api/v1/auth/login``."""


class LogoutResource(Resource):
    """``/api/v1/auth/logout``."""


class SessionResource(Resource):
    """``/api/v1/auth/session``: who the caller is."""


class AuthResource(Resource):
    """``/api/v1/auth``."""

    children = {"login": LoginResource, "logout": LogoutResource, "session": SessionResource}
