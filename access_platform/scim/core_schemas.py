"""The core SCIM schemas as data: User, Group and the Enterprise User extension.

The attribute sets follow RFC 7643 section 4 (4.1 User, 4.2 Group, 4.3
Enterprise User). Their characteristics (required, caseExact, mutability,
returned, uniqueness, canonicalValues, referenceTypes) follow the schema
representations in RFC 7643 section 8.7.1, and a comment marks each place
where this file departs from that section. The descriptions are short
summaries, not the RFC text.

The common attributes ``id``, ``externalId`` and ``meta`` (RFC 7643 section
3.1) belong to every resource, so no schema lists them.
"""

from __future__ import annotations

from access_platform.hookspecs import hookimpl
from access_platform.scim.schema import AttributeType, Mutability, ScimAttribute, ScimSchema

USER_SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

_TYPE_DESCRIPTION = "Label for the function of this value."


def _type_attribute(
    canonical_values: tuple[str, ...] = (),
    mutability: Mutability = "readWrite",
    description: str = _TYPE_DESCRIPTION,
) -> ScimAttribute:
    return ScimAttribute(
        "type",
        description=description,
        canonical_values=canonical_values,
        mutability=mutability,
    )


def _primary_attribute() -> ScimAttribute:
    return ScimAttribute(
        "primary",
        type="boolean",
        description="Marks the preferred value of the list.",
    )


def _multi_valued(
    name: str,
    description: str,
    *,
    value_description: str,
    value_type: AttributeType = "string",
    value_reference_types: tuple[str, ...] = (),
    ref_types: tuple[str, ...] = (),
    display_description: str = "Human-readable label for this value.",
    type_description: str = _TYPE_DESCRIPTION,
    type_values: tuple[str, ...] = (),
    with_primary: bool = True,
    mutability: Mutability = "readWrite",
    sub_attribute_mutability: Mutability = "readWrite",
) -> ScimAttribute:
    """Build a multi-valued complex attribute with the standard sub-attributes.

    The sub-attributes are ``value``, ``display``, ``type`` and (unless
    ``with_primary`` is false) ``primary``. A non-empty ``ref_types`` adds a
    ``$ref`` sub-attribute that refers to those resource types.
    """
    sub_attributes = [
        ScimAttribute(
            "value",
            type=value_type,
            description=value_description,
            reference_types=value_reference_types,
            mutability=sub_attribute_mutability,
        )
    ]
    if ref_types:
        sub_attributes.append(
            ScimAttribute(
                "$ref",
                type="reference",
                description="URI of the referenced resource.",
                reference_types=ref_types,
                mutability=sub_attribute_mutability,
            )
        )
    sub_attributes.append(
        ScimAttribute(
            "display", description=display_description, mutability=sub_attribute_mutability
        )
    )
    sub_attributes.append(_type_attribute(type_values, sub_attribute_mutability, type_description))
    if with_primary:
        sub_attributes.append(_primary_attribute())

    return ScimAttribute(
        name,
        type="complex",
        multi_valued=True,
        description=description,
        mutability=mutability,
        sub_attributes=tuple(sub_attributes),
    )


_NAME = ScimAttribute(
    "name",
    type="complex",
    description="Parts of the user's real name.",
    sub_attributes=(
        ScimAttribute("formatted", description="Full name for display, with titles and suffixes."),
        ScimAttribute("familyName", description="Family name, or surname."),
        ScimAttribute("givenName", description="Given name, or first name."),
        ScimAttribute("middleName", description="Middle name or names."),
        ScimAttribute("honorificPrefix", description="Title before the name, such as 'Dr.'."),
        ScimAttribute("honorificSuffix", description="Suffix after the name, such as 'Jr.'."),
    ),
)

# RFC 7643 section 8.7.1 leaves ``primary`` out of ``addresses``, but the full
# User example in section 8.2 marks an address as primary, so it is listed here.
_ADDRESSES = ScimAttribute(
    "addresses",
    type="complex",
    multi_valued=True,
    description="Postal addresses.",
    sub_attributes=(
        ScimAttribute("formatted", description="Full mailing address, newlines allowed."),
        ScimAttribute("streetAddress", description="Street address lines, newlines allowed."),
        ScimAttribute("locality", description="City or locality."),
        ScimAttribute("region", description="State or region."),
        ScimAttribute("postalCode", description="Postal or ZIP code."),
        ScimAttribute("country", description="ISO 3166-1 alpha-2 country code, such as 'DE'."),
        _type_attribute(("work", "home", "other")),
        _primary_attribute(),
    ),
)

USER_SCHEMA = ScimSchema(
    id=USER_SCHEMA_URN,
    name="User",
    description="User account",
    resource_type="User",
    attributes=(
        ScimAttribute(
            "userName",
            description="Identifier the user signs in with. Unique among all users.",
            required=True,
            uniqueness="server",
        ),
        _NAME,
        ScimAttribute("displayName", description="Name shown to end users, usually the full name."),
        ScimAttribute("nickName", description="Informal name to address the user by."),
        ScimAttribute(
            "profileUrl",
            type="reference",
            description="URL of the user's online profile page.",
            reference_types=("external",),
        ),
        ScimAttribute("title", description="Job title, such as 'Team Lead'."),
        ScimAttribute("userType", description="Relation to the organization, such as 'Employee'."),
        ScimAttribute("preferredLanguage", description="Preferred language, such as 'en-US'."),
        ScimAttribute("locale", description="Locale for formatting values, such as 'en-US'."),
        ScimAttribute("timezone", description="IANA time zone name, such as 'Europe/Berlin'."),
        ScimAttribute("active", type="boolean", description="Whether the account is enabled."),
        ScimAttribute(
            "password",
            description="Cleartext password, accepted to set or reset it and never returned.",
            mutability="writeOnly",
            returned="never",
        ),
        _multi_valued(
            "emails",
            "Email addresses.",
            value_description="Email address.",
            type_values=("work", "home", "other"),
        ),
        _multi_valued(
            "phoneNumbers",
            "Phone numbers.",
            value_description="Phone number, preferably as an RFC 3966 'tel:' URI.",
            type_values=("work", "home", "mobile", "fax", "pager", "other"),
        ),
        _multi_valued(
            "ims",
            "Instant messaging addresses.",
            value_description="Instant messaging address.",
            type_values=("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
        ),
        _multi_valued(
            "photos",
            "Photos of the user.",
            value_description="URL of the image.",
            value_type="reference",
            value_reference_types=("external",),
            type_values=("photo", "thumbnail"),
        ),
        _ADDRESSES,
        # Membership changes go through the Group resource, so every part of
        # ``groups`` is readOnly. The ``$ref`` reference types (User and Group)
        # are the ones section 8.7.1 lists.
        _multi_valued(
            "groups",
            "Groups the user belongs to, directly or through nested groups.",
            value_description="id of the group.",
            ref_types=("User", "Group"),
            display_description="Display name of the group.",
            type_description="'direct' for direct membership, 'indirect' through a nested group.",
            type_values=("direct", "indirect"),
            with_primary=False,
            mutability="readOnly",
            sub_attribute_mutability="readOnly",
        ),
        _multi_valued(
            "entitlements",
            "Things the user is entitled to, such as a license.",
            value_description="Entitlement.",
        ),
        _multi_valued(
            "roles",
            "Roles the user holds, such as 'Approver'.",
            value_description="Role.",
        ),
        _multi_valued(
            "x509Certificates",
            "X.509 certificates issued to the user.",
            value_description="DER-encoded certificate, base64-encoded in JSON.",
            value_type="binary",
        ),
    ),
)

GROUP_SCHEMA = ScimSchema(
    id=GROUP_SCHEMA_URN,
    name="Group",
    description="Group",
    resource_type="Group",
    attributes=(
        # Section 4.2 calls displayName REQUIRED, but section 8.7.1 lists
        # required: false. This schema follows section 8.7.1.
        ScimAttribute("displayName", description="Human-readable name of the group."),
        # Members can be added and removed, but a member's sub-attributes are
        # immutable (section 4.2). Section 8.7.1 lists no ``display`` for
        # members, so ``display`` takes the immutable rule from section 4.2.
        _multi_valued(
            "members",
            "Users and groups that belong to this group.",
            value_description="id of the member resource.",
            ref_types=("User", "Group"),
            display_description="Display name of the member.",
            type_description="Resource type of the member.",
            type_values=("User", "Group"),
            with_primary=False,
            sub_attribute_mutability="immutable",
        ),
    ),
)

ENTERPRISE_USER_SCHEMA = ScimSchema(
    id=ENTERPRISE_USER_SCHEMA_URN,
    name="EnterpriseUser",
    description="Enterprise User",
    resource_type="User",
    extension=True,
    required=False,
    attributes=(
        ScimAttribute("employeeNumber", description="Identifier the organization gives the user."),
        ScimAttribute("costCenter", description="Name of the cost center."),
        ScimAttribute("organization", description="Name of the organization."),
        ScimAttribute("division", description="Name of the division."),
        ScimAttribute("department", description="Name of the department."),
        ScimAttribute(
            "manager",
            type="complex",
            description="The user's manager, as a reference to another User.",
            sub_attributes=(
                ScimAttribute("value", description="id of the manager's User resource."),
                ScimAttribute(
                    "$ref",
                    type="reference",
                    description="URI of the manager's User resource.",
                    reference_types=("User",),
                ),
                ScimAttribute(
                    "displayName",
                    description="Display name of the manager.",
                    mutability="readOnly",
                ),
            ),
        ),
    ),
)


class CoreScimSchemas:
    """Built-in plugin: the User, Group and Enterprise User schemas of RFC 7643."""

    name = "builtin-scim-schemas"

    @hookimpl
    def access_platform_scim_schemas(self) -> list[ScimSchema]:
        return [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA]
