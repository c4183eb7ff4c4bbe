"""vocabulary terms keep the order of their source file

Revision ID: a1c0d0e1f002
Revises: a1c0d0e1f001
Create Date: 2026-12-03 07:30:00

A list is stored by deleting and inserting its terms; PostgreSQL returns rows in no fixed
order, so the form's choices (access rights: public, restricted, non-public) could come out
shuffled. ``position`` is the term's place in its source; rows stored before this revision
get 0 and take their order from the next ``ckan gemeente vocabularies update``.
"""

import sqlalchemy as sa
from alembic import op

revision = "a1c0d0e1f002"
down_revision = "a1c0d0e1f001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "gemeente_vocabulary_term",
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("gemeente_vocabulary_term", "position")
