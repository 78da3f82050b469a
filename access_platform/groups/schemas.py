"""Colander schemas for group request bodies."""

from __future__ import annotations

import re

import colander

from access_platform.payloads import StrictString, length, not_blank

GROUP_READ_ONLY_FIELDS = frozenset({"id", "source", "created_at", "updated_at"})
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


_source = colander.Regex(
    _SOURCE,
    msg="Must be 1 to 64 lowercase letters, digits, '_', '.' or '-', such as local or idp.",
)


def _display_name(missing=colander.required) -> colander.SchemaNode:
    return colander.SchemaNode(
        StrictString(), missing=missing, validator=colander.All(length(min=1, max=255), not_blank)
    )


def _optional_text(max_length: int, missing=None) -> colander.SchemaNode:
    return colander.SchemaNode(
        StrictString(), missing=missing, nullable=True, validator=length(max=max_length)
    )


def _membership_mode(missing) -> colander.SchemaNode:
    return colander.SchemaNode(
        StrictString(), missing=missing, validator=colander.OneOf(["assigned", "dynamic"])
    )


class GroupCreateSchema(colander.MappingSchema):
    display_name = _display_name()
    description = _optional_text(1024)
    external_id = _optional_text(255)
    membership_mode = _membership_mode(missing="assigned")
    # The system that manages the group. Only creation may set it: groups
    # made through this API default to local, and a source such as idp
    # makes the group read-only for member and owner changes here.
    source = colander.SchemaNode(StrictString(), missing="local", validator=_source)


class GroupPatchSchema(colander.MappingSchema):
    """A JSON merge patch (RFC 7396) of a group: only the fields sent are changed."""

    display_name = _display_name(missing=colander.drop)
    description = _optional_text(1024, missing=colander.drop)
    external_id = _optional_text(255, missing=colander.drop)
    membership_mode = _membership_mode(missing=colander.drop)
