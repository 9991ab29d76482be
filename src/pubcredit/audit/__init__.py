"""The audit chain (Art. 38, 39, 51): one append-only, hash-chained log of queries and changes.

Writers call :func:`pubcredit.audit.services.record_event` inside their own transaction; a
sealer (:func:`~pubcredit.audit.services.seal`) chains the rows in small batches and signs
checkpoints; :func:`pubcredit.audit.queries.verify` (``pubcredit audit verify``) proves the
chain untouched. See ``docs/audit.md``.
"""
