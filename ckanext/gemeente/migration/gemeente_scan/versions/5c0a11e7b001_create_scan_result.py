"""create the scan result table (one row per scan of a resource version)

Revision ID: 5c0a11e7b001
Revises:
Create Date: 2026-12-02 06:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5c0a11e7b001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gemeente_scan_result",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("resource_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("version", sa.UnicodeText, nullable=False),
        sa.Column("sha256", sa.UnicodeText, nullable=True),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("risk", sa.UnicodeText, nullable=True),
        sa.Column("report", sa.UnicodeText, nullable=True),
        sa.Column("error", sa.UnicodeText, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("finished", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("gemeente_scan_result")
