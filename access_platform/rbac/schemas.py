"""Colander schemas for role and role-assignment request bodies."""

from __future__ import annotations

import colander

from access_platform.payloads import StrictString, length, not_blank

ROLE_READ_ONLY_FIELDS = frozenset({"id", "builtin", "created_at", "updated_at"})
ASSIGNMENT_READ_ONLY_FIELDS = frozenset({"id", "scope", "created_by", "created_at"})


def _name(missing=colander.required) -> colander.SchemaNode:
    return colander.SchemaNode(
        StrictString(), missing=missing, validator=colander.All(length(min=1, max=255), not_blank)
    )


def _permissions(missing=colander.required) -> colander.SchemaNode:
    return colander.SchemaNode(
        colander.Sequence(),
        colander.SchemaNode(StrictString(), validator=length(min=1, max=128)),
        missing=missing,
    )


class RoleCreateSchema(colander.MappingSchema):
    name = _name()
    description = colander.SchemaNode(
        StrictString(), missing=None, nullable=True, validator=length(max=1024)
    )
    scope = colander.SchemaNode(
        StrictString(), missing="tenant", validator=colander.OneOf(["tenant", "workspace"])
    )
    permissions = _permissions()


class RolePatchSchema(colander.MappingSchema):
    name = _name(missing=colander.drop)
    description = colander.SchemaNode(
        StrictString(), missing=colander.drop, nullable=True, validator=length(max=1024)
    )
    permissions = _permissions(missing=colander.drop)


def _id(missing=colander.required) -> colander.SchemaNode:
    return colander.SchemaNode(StrictString(), missing=missing, validator=length(min=1, max=36))


class AssignmentCreateSchema(colander.MappingSchema):
    role_id = _id()
    principal_type = colander.SchemaNode(
        StrictString(), validator=colander.OneOf(["user", "group"])
    )
    principal_id = _id()
    workspace_id = colander.SchemaNode(
        StrictString(), missing=None, nullable=True, validator=length(min=1, max=36)
    )


class WorkspaceAssignmentCreateSchema(colander.MappingSchema):
    """Body of ``POST /workspaces/{workspaceId}/roleAssignments``; the path names the workspace."""

    role_id = _id()
    principal_type = colander.SchemaNode(
        StrictString(), validator=colander.OneOf(["user", "group"])
    )
    principal_id = _id()
