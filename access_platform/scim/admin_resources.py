"""``/api/v1/admin/scim/tokens``: administration of SCIM bearer tokens."""

from __future__ import annotations

from typing import Any

from access_platform.scim.models import ScimToken
from access_platform.traversal import Collection, Resource


class RevokeAction(Resource):
    """``/api/v1/admin/scim/tokens/{tokenId}/revoke``."""


class ScimTokenResource(Resource):
    """One SCIM token; ``self.token`` is the loaded row."""

    children = {"revoke": RevokeAction}

    def __init__(self, request: Any, name: str, parent: Resource, token: ScimToken) -> None:
        super().__init__(request, name, parent)
        self.token = token


class ScimTokenCollection(Collection):
    """All SCIM tokens. A child name is a token id."""

    model = ScimToken
    item_resource = ScimTokenResource
    item_parameter = "tokenId"


class AdminScim(Resource):
    """``/api/v1/admin/scim``."""

    children = {"tokens": ScimTokenCollection}


class AdminResource(Resource):
    """``/api/v1/admin``: operator endpoints."""

    children = {"scim": AdminScim}
