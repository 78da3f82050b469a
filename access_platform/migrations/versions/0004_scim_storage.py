"""Store SCIM attributes: users' extra SCIM data, their email list, and the provisioning token.

Revision ID: 0004
Revises: 0003
Created: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _folded_text(length: int) -> sa.String:
    # Case-folded lookup columns use the "C" collation on PostgreSQL, so a
    # B-tree index serves prefix searches whatever the database's locale.
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "user_emails",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("value_folded", _folded_text(320), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=True),
        sa.Column("primary", sa.Boolean(), nullable=True),
        sa.Column("display", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_emails_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "position", name=op.f("pk_user_emails")),
    )
    with op.batch_alter_table("user_emails", schema=None) as batch_op:
        batch_op.create_index("ix_user_emails_value_folded", ["value_folded"], unique=False)

    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scim_token_id", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column(
                "display_name_generated", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display", sa.String(length=320), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scim_data", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("scim_token_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("scim_token_id")
        batch_op.drop_column("scim_data")

    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_column("display")

    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("display_name_generated")
        batch_op.drop_column("scim_token_id")

    with op.batch_alter_table("user_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_user_emails_value_folded")

    op.drop_table("user_emails")
