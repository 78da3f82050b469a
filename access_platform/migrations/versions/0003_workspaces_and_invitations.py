"""Add workspaces, invitations and workspace-scoped role assignments; seed the built-in roles.

Revision ID: 0003
Revises: 0002
Created: 2026-12-04
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The built-in roles, copied here because a migration must not change when
# the application code does. The tenant administrator (every permission)
# was seeded by revision 0001.
BUILTIN_ROLES = [
    (
        "00000000-0000-4000-8000-000000000002",
        "User administrator",
        "Manages users and groups across the tenant.",
        "tenant",
        ["users.read", "users.write", "groups.read", "groups.write"],
    ),
    (
        "00000000-0000-4000-8000-000000000003",
        "Auditor",
        "Reads everything, changes nothing.",
        "tenant",
        [
            "users.read",
            "groups.read",
            "roles.read",
            "role_assignments.read",
            "invitations.read",
            "workspaces.read",
        ],
    ),
    (
        "00000000-0000-4000-8000-000000000004",
        "Workspace owner",
        "Manages role assignments and invitations inside one workspace.",
        "workspace",
        [
            "workspaces.read",
            "role_assignments.read",
            "role_assignments.write",
            "invitations.read",
            "invitations.write",
        ],
    ),
    (
        "00000000-0000-4000-8000-000000000005",
        "Workspace member",
        "Sees the workspace it is a member of.",
        "workspace",
        ["workspaces.read"],
    ),
]


def _folded_text(length: int) -> sa.String:
    # Case-folded lookup columns use the "C" collation on PostgreSQL, so a
    # B-tree index serves prefix searches whatever the database's locale.
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_folded", _folded_text(255), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("name_folded", name=op.f("uq_workspaces_name_folded")),
    )
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.create_index("ix_workspaces_created_at", ["created_at", "id"], unique=False)

    op.create_table(
        "invitations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_folded", _folded_text(320), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("role_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("assignment_id", sa.String(length=36), nullable=True),
        sa.Column("invitation_status", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.String(length=64), nullable=True),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "invitation_status IN ('pending', 'accepted', 'cancelled', 'expired')",
            name=op.f("ck_invitations_invitation_status"),
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["role_assignments.id"],
            name=op.f("fk_invitations_assignment_id_role_assignments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_invitations_role_id_roles"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_invitations_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_invitations_workspace_id_workspaces"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index("ix_invitations_created_at", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitations_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "ix_invitations_workspace_id", ["workspace_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_invitations_pending",
            ["email_folded", "workspace_id"],
            unique=True,
            sqlite_where=sa.text("invitation_status = 'pending'"),
            postgresql_where=sa.text("invitation_status = 'pending'"),
        )

    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.String(length=64), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_role_assignments_role_principal"), type_="unique")
        batch_op.create_index(
            "ix_role_assignments_workspace_id", ["workspace_id", "id"], unique=False
        )
        batch_op.create_index(
            "uq_role_assignments_tenant",
            ["role_id", "principal_type", "principal_id"],
            unique=True,
            sqlite_where=sa.text("workspace_id IS NULL"),
            postgresql_where=sa.text("workspace_id IS NULL"),
        )
        batch_op.create_index(
            "uq_role_assignments_workspace",
            ["role_id", "principal_type", "principal_id", "workspace_id"],
            unique=True,
            sqlite_where=sa.text("workspace_id IS NOT NULL"),
            postgresql_where=sa.text("workspace_id IS NOT NULL"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_role_assignments_workspace_id_workspaces"),
            "workspaces",
            ["workspace_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.create_index("ix_roles_created_at", ["created_at", "id"], unique=False)

    _seed_builtin_roles()


def _seed_builtin_roles() -> None:
    now = datetime.now(UTC)
    roles = sa.table(
        "roles",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("name_folded", sa.String),
        sa.column("description", sa.String),
        sa.column("scope", sa.String),
        sa.column("builtin", sa.Boolean),
        sa.column("version", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    role_permissions = sa.table(
        "role_permissions", sa.column("role_id", sa.String), sa.column("permission", sa.String)
    )
    op.bulk_insert(
        roles,
        [
            {
                "id": role_id,
                "name": name,
                "name_folded": name.casefold(),
                "description": description,
                "scope": scope,
                "builtin": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for role_id, name, description, scope, _permissions in BUILTIN_ROLES
        ],
    )
    op.bulk_insert(
        role_permissions,
        [
            {"role_id": role_id, "permission": permission}
            for role_id, _name, _description, _scope, permissions in BUILTIN_ROLES
            for permission in permissions
        ],
    )


def downgrade() -> None:
    role_ids = [role[0] for role in BUILTIN_ROLES]
    op.execute(
        sa.text("DELETE FROM role_permissions WHERE role_id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True, value=role_ids)
        )
    )
    op.execute(
        sa.text("DELETE FROM roles WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True, value=role_ids)
        )
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index("ix_roles_created_at")
        batch_op.drop_column("version")

    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_role_assignments_workspace_id_workspaces"), type_="foreignkey"
        )
        batch_op.drop_index(
            "uq_role_assignments_workspace",
            sqlite_where=sa.text("workspace_id IS NOT NULL"),
            postgresql_where=sa.text("workspace_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_role_assignments_tenant",
            sqlite_where=sa.text("workspace_id IS NULL"),
            postgresql_where=sa.text("workspace_id IS NULL"),
        )
        batch_op.drop_index("ix_role_assignments_workspace_id")
        batch_op.create_unique_constraint(
            batch_op.f("uq_role_assignments_role_principal"),
            ["role_id", "principal_type", "principal_id"],
        )
        batch_op.drop_column("created_by")
        batch_op.drop_column("workspace_id")

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invitations_pending",
            sqlite_where=sa.text("invitation_status = 'pending'"),
            postgresql_where=sa.text("invitation_status = 'pending'"),
        )
        batch_op.drop_index("ix_invitations_workspace_id")
        batch_op.drop_index(batch_op.f("ix_invitations_user_id"))
        batch_op.drop_index("ix_invitations_created_at")

    op.drop_table("invitations")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_index("ix_workspaces_created_at")

    op.drop_table("workspaces")
