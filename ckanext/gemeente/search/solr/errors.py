"""Errors raised by the embedded search server, shaped like Solr's."""

from __future__ import annotations


class SolrError(Exception):
    """An error Solr would report; ``code`` is the HTTP status, ``msg`` Solr's text.

    The HTTP layer turns it into Solr's JSON error body::

        {"responseHeader": {"status": 400, "QTime": 0},
         "error": {"metadata": [...], "msg": msg, "code": 400}}
    """

    def __init__(self, msg: str, code: int = 400) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = code
