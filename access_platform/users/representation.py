"""The JSON form of a user in ``/api/v1`` responses."""

from __future__ import annotations

from typing import Any

from access_platform.users.models import User


def user_json(request: Any, user: User) -> dict[str, Any]:
    """Return ``user`` as the API shows it. The password hash is never included."""
    return {
        "id": user.id,
        "user_name": user.user_name,
        "display_name": user.display_name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "external_id": user.external_id,
        "status": user.status,
        "source": user.source,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def user_location(request: Any, user: User) -> str:
    """Return the absolute URL of ``user``."""
    return request.application_url + f"/api/v1/users/{user.id}"
