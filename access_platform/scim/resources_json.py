"""SCIM User and Group resources: building them from the store and writing them back.

A resource travels as its SCIM JSON object. Reads build it from the
columns, the ``user_emails`` rows and the ``scim_data`` of users and
groups; writes (POST, PUT and PATCH alike) take a complete resource whose
names and values the PATCH engine has already checked against the
schemas, and store it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from access_platform.auth.passwords import hash_password
from access_platform.errors import ApiError
from access_platform.groups.models import Group
from access_platform.scim.core_schemas import GROUP_SCHEMA_URN, USER_SCHEMA_URN
from access_platform.users.emails import email_json, primary_email, replace_emails
from access_platform.users.models import User
from access_platform.users.services import deactivate_user

# Core User attributes with columns of their own; every other attribute
# lives in ``users.scim_data``.
USER_COLUMN_ATTRIBUTES = frozenset(
    {
        "id",
        "externalId",
        "userName",
        "displayName",
        "name",
        "emails",
        "active",
        "password",
        "groups",
        "meta",
        "schemas",
    }
)
NAME_COLUMN_PARTS = {"givenName": "given_name", "familyName": "family_name"}
# Core Group attributes with columns or rows of their own; extension
# objects live in ``groups.scim_data``.
GROUP_COLUMN_ATTRIBUTES = frozenset(
    {"id", "externalId", "displayName", "members", "meta", "schemas"}
)

# Kept in scim_data when a client removed ``active``: the user stays active,
# and ``active`` is left out of the resource until a client sets it again.
# No SCIM attribute name starts with "$" but "$ref", so it cannot collide.
ACTIVE_UNSET = "$activeUnset"


# The columns that user_resource and group_resource read, so that a list
# can load rows of just these instead of ORM objects.
USER_RESOURCE_COLUMNS = (
    User.id,
    User.user_name,
    User.external_id,
    User.given_name,
    User.family_name,
    User.display_name,
    User.status,
    User.scim_data,
    User.created_at,
    User.updated_at,
    User.version,
)
GROUP_RESOURCE_COLUMNS = (
    Group.id,
    Group.display_name,
    Group.display_name_generated,
    Group.external_id,
    Group.scim_data,
    Group.created_at,
    Group.updated_at,
    Group.version,
)


def etag(version: int) -> str:
    """Return the weak ETag that ``meta.version`` and the ``ETag`` header carry."""
    return f'W/"{version}"'


def _meta(resource_type: str, location: str, row: Any) -> dict[str, Any]:
    return {
        "resourceType": resource_type,
        "created": row.created_at,
        "lastModified": row.updated_at,
        "location": location,
        "version": etag(row.version),
    }


def user_resource(
    base_url: str,
    user: Any,
    emails: Sequence[Any],
    groups: Sequence[Any] | None,
) -> dict[str, Any]:
    """Return ``user`` as a SCIM User; ``groups`` is left out when ``None`` (not loaded).

    ``user`` is a :class:`User` or a row of ``USER_RESOURCE_COLUMNS``.
    ``emails`` are rows as :func:`~access_platform.users.emails.load_emails`
    returns them, and ``groups`` rows with ``id`` and ``display_name``. The
    resource shares the nested values of ``user.scim_data``, so a caller
    that changes the resource in place must copy it first (``apply_patch``
    does).
    """
    data = dict(user.scim_data or {})
    active_unset = data.pop(ACTIVE_UNSET, False)
    extension_urns = sorted(key for key in data if key.startswith("urn:"))
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA_URN, *extension_urns],
        "id": user.id,
        "userName": user.user_name,
    }
    if user.external_id is not None:
        resource["externalId"] = user.external_id

    name = dict(data.pop("name", {}))
    for attribute, column in NAME_COLUMN_PARTS.items():
        value = getattr(user, column)
        if value is not None:
            name[attribute] = value
    if name:
        resource["name"] = name
    if user.display_name is not None:
        resource["displayName"] = user.display_name
    if emails:
        resource["emails"] = [email_json(row) for row in emails]
    if not (active_unset and user.status == "active"):
        resource["active"] = user.status == "active"
    resource.update(data)
    if groups is not None:
        resource["groups"] = [
            {
                "value": group.id,
                "display": group.display_name,
                "$ref": f"{base_url}/Groups/{group.id}",
                "type": "direct",
            }
            for group in groups
        ]
    resource["meta"] = _meta("User", f"{base_url}/Users/{user.id}", user)
    return resource


def store_user(
    dbsession: Session,
    user: User,
    resource: dict[str, Any],
    active_removed: bool = False,
    *,
    columns_stored: bool = False,
) -> None:
    """Write a checked User resource to ``user`` and its email rows.

    ``active: false`` deactivates the user exactly as the REST API does,
    ending sessions and API keys; ``active: true`` activates them. A
    resource without ``active`` leaves the user active; ``active_removed``
    marks that a PATCH removed it, so that it stays out of the resource.
    ``columns_stored`` says that :func:`store_user_columns` has run already,
    for a user inserted just now.
    """
    if not columns_stored:
        store_user_columns(user, resource, active_removed)

    emails = resource.get("emails") or []
    # The user must have its id already: new users get one before this call.
    replace_emails(dbsession, user, emails, new_user=columns_stored)

    active = resource.get("active", True)
    if not active:
        deactivate_user(dbsession, user)
    elif user.status != "active":
        user.status = "active"


def store_user_columns(user: User, resource: dict[str, Any], active_removed: bool = False) -> None:
    """Write the parts of a checked User resource that live in the ``users`` row.

    :raises ApiError: 400 ``invalidValue`` when an email has no value.
    """
    user.user_name = resource["userName"]
    user.display_name = resource.get("displayName")
    user.external_id = resource.get("externalId")

    name = dict(resource.get("name") or {})
    for attribute, column in NAME_COLUMN_PARTS.items():
        setattr(user, column, name.pop(attribute, None))

    data = {key: value for key, value in resource.items() if key not in USER_COLUMN_ATTRIBUTES}
    if name:
        data["name"] = name
    if active_removed:
        data[ACTIVE_UNSET] = True
    user.scim_data = data or None

    if "password" in resource and resource["password"]:
        user.password_hash = hash_password(resource["password"])

    emails = resource.get("emails") or []
    if any(not isinstance(email.get("value"), str) or not email["value"] for email in emails):
        raise ApiError(400, "Each email needs a value: the address.", scim_type="invalidValue")
    user.email = primary_email(emails)


def group_resource(
    base_url: str, group: Any, members: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """Return ``group`` as a SCIM Group; ``members`` is left out when ``None`` (not loaded).

    ``group`` is a :class:`Group` or a row of ``GROUP_RESOURCE_COLUMNS``. As
    with users, the resource shares the nested values of ``group.scim_data``.
    """
    data = group.scim_data or {}
    extension_urns = sorted(key for key in data if key.startswith("urn:"))
    resource: dict[str, Any] = {"schemas": [GROUP_SCHEMA_URN, *extension_urns], "id": group.id}
    if not group.display_name_generated:
        resource["displayName"] = group.display_name
    if group.external_id is not None:
        resource["externalId"] = group.external_id
    resource.update(data)
    if members is not None:
        collection = {"User": "Users", "Group": "Groups"}
        resource["members"] = [
            {
                "value": member["value"],
                "display": member["display"],
                "type": member["type"],
                "$ref": f"{base_url}/{collection[member['type']]}/{member['value']}",
            }
            for member in members
        ]
    resource["meta"] = _meta("Group", f"{base_url}/Groups/{group.id}", group)
    return resource


def store_group_data(group: Group, resource: dict[str, Any]) -> None:
    """Write the attributes of a checked Group resource that have no column to ``scim_data``.

    These are the extension objects; the caller stores ``displayName``,
    ``externalId`` and ``members``.
    """
    data = {key: value for key, value in resource.items() if key not in GROUP_COLUMN_ATTRIBUTES}
    group.scim_data = data or None
