"""``/api/v1/roles``, ``/api/v1/permissions`` and ``/api/v1/roleAssignments``."""

from __future__ import annotations

from typing import Any

from access_platform.rbac.models import Role, RoleAssignment
from access_platform.traversal import Resource


class RoleResource(Resource):
    """One role; ``self.role`` is the loaded row."""

    def __init__(self, request: Any, name: str, parent: Resource, role: Role) -> None:
        super().__init__(request, name, parent)
        self.role = role


class RoleCollection(Resource):
    """All roles. A child name is a role id."""

    def __getitem__(self, role_id: str) -> RoleResource:
        role = self.request.dbsession.get(Role, role_id)
        if role is None:
            raise KeyError(role_id)
        return RoleResource(self.request, role_id, self, role)


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


class RoleAssignmentCollection(Resource):
    """All role assignments. A child name is an assignment id."""

    def __getitem__(self, assignment_id: str) -> RoleAssignmentResource:
        assignment = self.request.dbsession.get(RoleAssignment, assignment_id)
        if assignment is None:
            raise KeyError(assignment_id)
        return RoleAssignmentResource(self.request, assignment_id, self, assignment)
