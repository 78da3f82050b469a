"""``/api/v1/roles``, ``/api/v1/permissions`` and ``/api/v1/roleAssignments``."""

from __future__ import annotations

from typing import Any

from access_platform.rbac.models import Role, RoleAssignment
from access_platform.traversal import Collection, Resource


class RoleResource(Resource):
    """One role; ``self.role`` is the loaded row."""

    def __init__(self, request: Any, name: str, parent: Resource, role: Role) -> None:
        super().__init__(request, name, parent)
        self.role = role


class RoleCollection(Collection):
    """All roles. A child name is a role id."""

    model = Role
    item_resource = RoleResource
    item_parameter = "roleId"


class PermissionCollection(Resource):
    """``/api/v1/permissions``: the permission catalogue."""


class RoleAssignmentResource(Resource):
    """One assignment. It lies in the scope of its workspace, if it has one."""

    def __init__(
        self, request: Any, name: str, parent: Resource, assignment: RoleAssignment
    ) -> None:
        super().__init__(request, name, parent)
        self.assignment = assignment
        self.workspace_id = assignment.workspace_id


class RoleAssignmentCollection(Collection):
    """All role assignments. A child name is an assignment id."""

    model = RoleAssignment
    item_resource = RoleAssignmentResource
    item_parameter = "assignmentId"
