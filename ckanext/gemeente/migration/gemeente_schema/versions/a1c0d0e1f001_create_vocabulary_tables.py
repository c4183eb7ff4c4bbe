"""create vocabulary tables

Revision ID: a1c0d0e1f001
Revises:
Create Date: 2026-11-25 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a1c0d0e1f001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gemeente_vocabulary",
        sa.Column("name", sa.UnicodeText, primary_key=True),
        sa.Column("source", sa.UnicodeText, nullable=False),
        sa.Column("loaded_at", sa.DateTime, nullable=False),
        sa.Column("term_count", sa.Integer, nullable=False),
        sa.Column("sha256", sa.UnicodeText, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
    )
    op.create_table(
        "gemeente_vocabulary_term",
        sa.Column(
            "vocabulary",
            sa.UnicodeText,
            sa.ForeignKey("gemeente_vocabulary.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("uri", sa.UnicodeText, primary_key=True),
        sa.Column("label_nl", sa.UnicodeText, nullable=False),
        sa.Column("label_en", sa.UnicodeText, nullable=False),
        sa.Column("extra", sa.UnicodeText, nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    op.drop_table("gemeente_vocabulary_term")
    op.drop_table("gemeente_vocabulary")
