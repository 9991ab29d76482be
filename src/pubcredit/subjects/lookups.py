"""Searching organisation names by index: a lookup for the trigram index, an expression for the bigram one."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, Lookup, TextField
from django.db.models.sql.compiler import SQLCompiler


class ContainsIgnoringCase(Lookup[str]):
    """``name__ilike_contains="x"``: ``name ILIKE '%x%'``, with ``%``, ``_`` and ``\\`` in x taken literally.

    PostgreSQL's trigram index on the column (``gin_trgm_ops``) serves ``ILIKE`` on the column
    itself; Django's ``icontains`` writes ``UPPER(name) LIKE UPPER(…)``, which no index on
    ``name`` can serve, so every name search read the whole subjects table.
    """

    lookup_name = "ilike_contains"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[str | int]]:
        return "%s", [f"%{connection.ops.prep_for_like_query(str(value))}%"]

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs_sql} ILIKE {rhs_sql}", [*lhs_params, *rhs_params]


#: The SQL function behind ``NameBigrams`` (created by migration ``subjects/0003``).
BIGRAMS_FUNCTION = "subject_name_bigrams"


class NameBigrams(Func):
    """``subject_name_bigrams(x)``: the two-character pieces of ``lower(x)``, as ``text[]``.

    A two-character search term has no trigram, so ``subject_name_trgm`` cannot serve it and
    PostgreSQL read every organisation. The GIN index ``subject_name_bigram`` on this expression
    finds the names that contain the term's one bigram (``@>``); ``ILIKE`` then decides.
    """

    function = BIGRAMS_FUNCTION
    output_field = ArrayField(TextField())
