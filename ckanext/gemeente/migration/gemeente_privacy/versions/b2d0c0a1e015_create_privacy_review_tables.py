"""create privacy review tables

Revision ID: b2d0c0a1e015
Revises:
Create Date: 2026-12-02 06:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b2d0c0a1e015"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gemeente_privacy_review",
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("organization_id", sa.UnicodeText, nullable=True),
        sa.Column("checklist", sa.UnicodeText, nullable=False, server_default="{}"),
        sa.Column("conditions", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("submitted_by", sa.UnicodeText, nullable=True),
        sa.Column("submitted_at", sa.DateTime, nullable=True),
        sa.Column("first_approver", sa.UnicodeText, nullable=True),
        sa.Column("state_changed", sa.DateTime, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_index("idx_gemeente_privacy_review_state", "gemeente_privacy_review",
                    ["state", "state_changed"])
    op.create_index("idx_gemeente_privacy_review_org", "gemeente_privacy_review",
                    ["organization_id", "state"])

    op.create_table(
        "gemeente_privacy_role",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("role", sa.UnicodeText, nullable=False),
        sa.Column("organization_id", sa.UnicodeText, nullable=True),
        sa.Column("granted_by", sa.UnicodeText, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_index("idx_gemeente_privacy_role_user", "gemeente_privacy_role", ["user_id"])
    op.create_index(
        "uq_gemeente_privacy_role",
        "gemeente_privacy_role",
        ["user_id", "role", sa.text("coalesce(organization_id, '')")],
        unique=True,
    )

    op.create_table(
        "gemeente_privacy_audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("step", sa.UnicodeText, nullable=False),
        sa.Column("actor", sa.UnicodeText, nullable=False),
        sa.Column("role", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("from_state", sa.UnicodeText, nullable=True),
        sa.Column("to_state", sa.UnicodeText, nullable=False),
        sa.Column("checklist", sa.UnicodeText, nullable=False),
        sa.Column("findings", sa.UnicodeText, nullable=False),
        sa.Column("content_hash", sa.UnicodeText, nullable=False),
        sa.Column("comment", sa.UnicodeText, nullable=False),
        sa.Column("target", sa.UnicodeText, nullable=False),
        sa.Column("prev_hash", sa.UnicodeText, nullable=False),
        sa.Column("hash", sa.UnicodeText, nullable=False),
    )
    op.create_index("idx_gemeente_privacy_audit_package", "gemeente_privacy_audit",
                    ["package_id", "seq"])
    op.create_index("idx_gemeente_privacy_audit_created", "gemeente_privacy_audit",
                    ["created"])

    op.create_table(
        "gemeente_privacy_pending",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("operations", sa.UnicodeText, nullable=False, server_default="[]"),
        sa.Column("checklist", sa.UnicodeText, nullable=False, server_default="{}"),
        sa.Column("conditions", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("submitted_by", sa.UnicodeText, nullable=True),
        sa.Column("first_approver", sa.UnicodeText, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("state_changed", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gemeente_privacy_pending")
    op.drop_table("gemeente_privacy_audit")
    op.drop_table("gemeente_privacy_role")
    op.drop_table("gemeente_privacy_review")
