"""Views for ``/api/v1/users``."""

from __future__ import annotations

from typing import Any

from pyramid.view import view_config

from access_platform.payloads import validated_body
from access_platform.users import services
from access_platform.users.representation import user_json, user_location
from access_platform.users.resources import UserCollection, UserResource
from access_platform.users.schemas import UserCreateSchema


@view_config(
    context=UserCollection, request_method="POST", permission="users.write", renderer="json"
)
def create_user(context: UserCollection, request: Any) -> dict[str, Any]:
    body = validated_body(request, UserCreateSchema())
    user = services.create_user(request.dbsession, body)
    request.response.status_code = 201
    request.response.location = user_location(request, user)
    return user_json(request, user)


@view_config(context=UserResource, request_method="GET", permission="users.read", renderer="json")
def get_user(context: UserResource, request: Any) -> dict[str, Any]:
    return user_json(request, context.user)
