"""Create the audit event table and let the built-in Auditor role read it.

Revision ID: 0006
Revises: 0005
Created: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Copied from access_platform.rbac.models, because a migration must not
# change when the application code does. The tenant administrator holds
# "*" and so needs no row of its own.
AUDITOR_ROLE_ID = "00000000-0000-4000-8000-000000000003"
AUDIT_READ = "audit.read"


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("auth_method", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.String(length=255), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_occurred_at", ["occurred_at", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_events_actor_id", ["actor_id", "occurred_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_events_credential_id", ["credential_id", "occurred_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_events_action", ["action", "occurred_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_events_target_type", ["target_type", "occurred_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_events_target_id", ["target_id", "occurred_at", "id"], unique=False
        )
        batch_op.create_index("ix_audit_events_request_id", ["request_id"], unique=False)

    role_permissions = sa.table(
        "role_permissions", sa.column("role_id", sa.String), sa.column("permission", sa.String)
    )
    op.bulk_insert(role_permissions, [{"role_id": AUDITOR_ROLE_ID, "permission": AUDIT_READ}])


def downgrade() -> None:
    op.execute(
        sa.text(
            "DELETE FROM role_permissions WHERE role_id = :role_id AND permission = :permission"
        ).bindparams(role_id=AUDITOR_ROLE_ID, permission=AUDIT_READ)
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_request_id")
        batch_op.drop_index("ix_audit_events_target_id")
        batch_op.drop_index("ix_audit_events_target_type")
        batch_op.drop_index("ix_audit_events_action")
        batch_op.drop_index("ix_audit_events_credential_id")
        batch_op.drop_index("ix_audit_events_actor_id")
        batch_op.drop_index("ix_audit_events_occurred_at")

    op.drop_table("audit_events")
