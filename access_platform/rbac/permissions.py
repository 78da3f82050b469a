"""The core permission catalogue.

Each view names one of these permissions. The root resource's ACL grants
permission ``p`` to the principal ``perm:p``, and a user holds ``perm:p``
when a role assigned to them lists ``p`` (or ``*``, every permission).
"""

from __future__ import annotations

CORE_PERMISSIONS: tuple[str, ...] = (
    "users.read",
    "users.write",
    "groups.read",
    "groups.write",
    "roles.read",
    "roles.write",
    "role_assignments.read",
    "role_assignments.write",
    "invitations.read",
    "invitations.write",
    "workspaces.read",
    "workspaces.write",
    "scim_tokens.manage",
)

# Granted to every authenticated principal on /api/v1: reading and ending
# one's own session.
AUTHENTICATED = "authenticated"

# SCIM token scopes, granted to the principals ``scim:read`` and ``scim:write``.
SCIM_READ = "scim.read"
SCIM_WRITE = "scim.write"


def permission_principal(permission: str) -> str:
    return f"perm:{permission}"
