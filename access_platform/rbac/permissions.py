"""The permission catalogue: permission names, collected from the core and from plugins.

Each view names one permission. A user holds permission ``p`` at a scope
when a role assigned to them, or to a group they belong to, lists ``p``
(or ``*``, every permission) tenant-wide or in that workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyramid.exceptions import ConfigurationError

from access_platform.hookspecs import hookimpl

# Granted to every authenticated principal on /api/v1: reading and ending
# one's own session, and calling endpoints that check their permission
# themselves because the scope comes from the request body.
AUTHENTICATED = "authenticated"

# SCIM token scopes, granted to the principals ``scim:read`` and ``scim:write``.
SCIM_READ = "scim.read"
SCIM_WRITE = "scim.write"


@dataclass(frozen=True)
class Permission:
    """One entry of the catalogue.

    :ivar name: ``<resource>.<action>``, such as ``users.read``.
    :ivar plugin: name of the plugin that defines it; ``core`` for built-ins.
    """

    name: str
    description: str
    plugin: str = "core"

    @property
    def resource(self) -> str:
        return self.name.split(".", 1)[0]


CORE_PERMISSIONS: tuple[Permission, ...] = (
    Permission("users.read", "Read users and their group memberships."),
    Permission("users.write", "Create, change and deactivate users."),
    Permission("groups.read", "Read groups, their members and owners."),
    Permission("groups.write", "Create, change and delete groups; change members and owners."),
    Permission("roles.read", "Read roles and the permission catalogue."),
    Permission("roles.write", "Create, change and delete custom roles."),
    Permission("role_assignments.read", "Read role assignments and effective permissions."),
    Permission("role_assignments.write", "Assign roles and remove assignments."),
    Permission("invitations.read", "Read invitations."),
    Permission("invitations.write", "Invite people; resend and cancel invitations."),
    Permission("workspaces.read", "Read workspaces."),
    Permission("workspaces.write", "Create, change and delete workspaces."),
    Permission("scim_tokens.manage", "Issue, list and revoke SCIM tokens."),
    Permission("audit.read", "Read the audit trail: who changed what, and when."),
)


class CorePermissions:
    """Built-in plugin: the core permission catalogue."""

    @hookimpl
    def access_platform_permissions(self) -> list[Permission]:
        return list(CORE_PERMISSIONS)


def collect_permissions(plugin_manager: Any) -> dict[str, Permission]:
    """Return the catalogue, by name, with each entry's defining plugin.

    :raises ConfigurationError: when two plugins define the same name.
    """
    catalogue: dict[str, Permission] = {}
    hook = plugin_manager.hook.access_platform_permissions
    for implementation in hook.get_hookimpls():
        for permission in implementation.function() or []:
            if permission.name in catalogue:
                raise ConfigurationError(
                    f"permission {permission.name} is defined twice "
                    f"(again by plugin {implementation.plugin_name})"
                )
            plugin = (
                "core"
                if implementation.plugin_name.startswith("builtin-")
                else implementation.plugin_name
            )
            catalogue[permission.name] = Permission(permission.name, permission.description, plugin)
    return dict(sorted(catalogue.items()))


def permission_principal(permission: str) -> str:
    return f"perm:{permission}"
