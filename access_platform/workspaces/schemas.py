"""Colander schemas for workspace request bodies."""

from __future__ import annotations

import colander

from access_platform.payloads import StrictString, length, not_blank

WORKSPACE_READ_ONLY_FIELDS = frozenset({"id", "created_at", "updated_at"})


def _name(missing=colander.required) -> colander.SchemaNode:
    return colander.SchemaNode(
        StrictString(), missing=missing, validator=colander.All(length(min=1, max=255), not_blank)
    )


def _description(missing=None) -> colander.SchemaNode:
    return colander.SchemaNode(
        StrictString(), missing=missing, nullable=True, validator=length(max=1024)
    )


class WorkspaceCreateSchema(colander.MappingSchema):
    name = _name()
    description = _description()


class WorkspacePatchSchema(colander.MappingSchema):
    name = _name(missing=colander.drop)
    description = _description(missing=colander.drop)
