"""``/api/v1/users`` and ``/api/v1/users/{userId}``."""

from __future__ import annotations

from access_platform.traversal import Resource
from access_platform.users.models import User


class UserResource(Resource):
    """One user; ``self.user`` is the loaded row."""

    def __init__(self, request, name, parent, user: User) -> None:
        super().__init__(request, name, parent)
        self.user = user


class UserCollection(Resource):
    """All users. A child name is a user id."""

    def __getitem__(self, user_id: str) -> UserResource:
        user = self.request.dbsession.get(User, user_id)
        if user is None:
            raise KeyError(user_id)
        return UserResource(self.request, user_id, self, user)
