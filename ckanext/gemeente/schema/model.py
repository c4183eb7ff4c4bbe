"""The plugin's own tables: loaded value lists (vocabularies) and their terms.

Created by the alembic migration in ``migration/gemeente_schema`` (``ckan db upgrade -p
gemeente_schema``). Tag vocabularies are not used because value-list keys are URIs, which
CKAN tag names cannot hold (only alphanumerics, spaces and ``-_.``; at most 100 chars).
"""

from __future__ import annotations

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit
from sqlalchemy import orm


class Vocabulary(toolkit.BaseModel):  # type: ignore[misc, valid-type]
    """One loaded value list, e.g. ``Overheid:TaxonomieBeleidsagenda``."""

    __tablename__ = "gemeente_vocabulary"

    name = sa.Column(sa.UnicodeText, primary_key=True)
    source = sa.Column(sa.UnicodeText, nullable=False)
    loaded_at = sa.Column(sa.DateTime, nullable=False)
    term_count = sa.Column(sa.Integer, nullable=False)
    sha256 = sa.Column(sa.UnicodeText, nullable=False)
    complete = sa.Column(sa.Boolean, nullable=False)

    terms = orm.relationship(
        "VocabularyTerm", cascade="all, delete-orphan", passive_deletes=True, lazy="dynamic"
    )


class VocabularyTerm(toolkit.BaseModel):  # type: ignore[misc, valid-type]
    """One term (concept) of a value list, keyed by its URI."""

    __tablename__ = "gemeente_vocabulary_term"

    vocabulary = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("gemeente_vocabulary.name", ondelete="CASCADE"),
        primary_key=True,
    )
    uri = sa.Column(sa.UnicodeText, primary_key=True)
    label_nl = sa.Column(sa.UnicodeText, nullable=False)
    label_en = sa.Column(sa.UnicodeText, nullable=False)
    extra = sa.Column(sa.UnicodeText, nullable=False, default="{}")
    #: the term's place in its source file (choices follow the list's own order)
    position = sa.Column(sa.Integer, nullable=False, default=0)


def tables_exist() -> bool:
    """True when the migration has been applied (the tables exist)."""
    inspector = sa.inspect(model.Session.get_bind())
    return inspector.has_table("gemeente_vocabulary") and inspector.has_table(
        "gemeente_vocabulary_term"
    )
