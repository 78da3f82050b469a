"""Colander schemas for user request bodies."""

from __future__ import annotations

import colander

from access_platform.payloads import StrictString, length


def _optional_text(max_length: int) -> colander.SchemaNode:
    return colander.SchemaNode(
        StrictString(), missing=None, nullable=True, validator=length(max=max_length)
    )


class UserCreateSchema(colander.MappingSchema):
    user_name = colander.SchemaNode(StrictString(), validator=length(min=1, max=255))
    display_name = _optional_text(255)
    given_name = _optional_text(255)
    family_name = _optional_text(255)
    email = _optional_text(320)
    external_id = _optional_text(255)
    password = colander.SchemaNode(
        StrictString(), missing=None, nullable=True, validator=length(min=8, max=1024)
    )
