"""Import every ORM model, so that ``Base.metadata`` describes the whole schema.

Alembic's autogenerate and the test suite's table cleanup read the
metadata from here.
"""

from access_platform.audit.models import AuditEvent
from access_platform.auth.models import ApiKey, BrowserSession
from access_platform.auth.throttle import LoginThrottle
from access_platform.db import Base
from access_platform.groups.models import Group, GroupMember, GroupOwner
from access_platform.idempotency import IdempotencyRecord
from access_platform.invitations.models import Invitation
from access_platform.rbac.models import Role, RoleAssignment, RolePermission
from access_platform.scim.models import ScimToken
from access_platform.users.models import User, UserEmail
from access_platform.workspaces.models import Workspace

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "BrowserSession",
    "Group",
    "GroupMember",
    "GroupOwner",
    "IdempotencyRecord",
    "Invitation",
    "LoginThrottle",
    "Role",
    "RoleAssignment",
    "RolePermission",
    "ScimToken",
    "User",
    "UserEmail",
    "Workspace",
]
