"""Colander schemas for user request bodies."""

from __future__ import annotations

import colander

from access_platform.payloads import NullableEmail, StrictString, length, not_blank

USER_READ_ONLY_FIELDS = frozenset({"id", "source", "created_at", "updated_at"})


_email = NullableEmail(msg="Invalid email address.")


def _user_name() -> colander.SchemaNode:
    return colander.SchemaNode(
        StrictString(), validator=colander.All(length(min=1, max=255), not_blank)
    )


def _optional_text(max_length: int, validator=None, missing=None) -> colander.SchemaNode:
    checks = [length(max=max_length)] + ([validator] if validator else [])
    return colander.SchemaNode(
        StrictString(), missing=missing, nullable=True, validator=colander.All(*checks)
    )


def _password(missing) -> colander.SchemaNode:
    return colander.SchemaNode(
        StrictString(), missing=missing, nullable=True, validator=length(min=8, max=1024)
    )


class UserCreateSchema(colander.MappingSchema):
    user_name = _user_name()
    display_name = _optional_text(255)
    given_name = _optional_text(255)
    family_name = _optional_text(255)
    email = _optional_text(320, _email)
    external_id = _optional_text(255)
    password = _password(missing=None)


class UserPatchSchema(colander.MappingSchema):
    """A JSON merge patch (RFC 7396) of a user: only the fields sent are changed."""

    user_name = colander.SchemaNode(
        StrictString(),
        missing=colander.drop,
        validator=colander.All(length(min=1, max=255), not_blank),
    )
    display_name = _optional_text(255, missing=colander.drop)
    given_name = _optional_text(255, missing=colander.drop)
    family_name = _optional_text(255, missing=colander.drop)
    email = _optional_text(320, _email, missing=colander.drop)
    external_id = _optional_text(255, missing=colander.drop)
    password = _password(missing=colander.drop)
    status = colander.SchemaNode(
        StrictString(),
        missing=colander.drop,
        validator=colander.OneOf(["active", "deactivated"]),
    )
