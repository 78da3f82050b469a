"""``/api/v1/workspaces`` and the resources inside one workspace."""

from __future__ import annotations

from typing import Any

from access_platform.traversal import Collection, Resource
from access_platform.workspaces.models import Workspace


class WorkspaceRoleAssignments(Resource):
    """``/api/v1/workspaces/{workspaceId}/roleAssignments``."""


class WorkspaceResource(Resource):
    """One workspace. ``workspace_id`` puts everything below it in the workspace's scope."""

    children = {"roleAssignments": WorkspaceRoleAssignments}

    def __init__(self, request: Any, name: str, parent: Resource, workspace: Workspace) -> None:
        super().__init__(request, name, parent)
        self.workspace = workspace
        self.workspace_id = workspace.id


class WorkspaceCollection(Collection):
    """All workspaces. A child name is a workspace id."""

    model = Workspace
    item_resource = WorkspaceResource
    item_parameter = "workspaceId"
