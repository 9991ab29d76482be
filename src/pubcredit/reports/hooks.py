"""Where other parts of the platform feed the report, in one place each (Art. 34, 35, 23, 30).

Nothing is registered today; the report is complete without them. When the rights app
(objections, concealment, repair, commitments) and the measures app (red/black lists) arrive,
their ``AppConfig.ready()`` registers a source here and every channel (JSON, page, PDF, special
report, batch) picks it up at once:

- **marks** (Art. 34): ``source(record_ids) -> {record_id: ["异议处理中", …]}`` — records under
  objection carry "异议处理中" (``rules.OBJECTION_MARK``), repaired ones "已修复" …;
- **concealment** (Art. 35): ``source(subject_id, record_ids) -> concealed record ids`` — asked
  only about concealable records (trustworthy or self-declared); concealed ones are left out of
  the report before the read is logged;
- **list entries** (Art. 23): ``source(subject_id, visibility, today) -> [rules.Item(origin="list")]``
  — red/black list and serious-dishonesty entries kept by the lists app;
- **commitments** (Art. 30): ``source(subject_id, visibility, today) -> [rules.Item(origin="commitment")]``.

Each source is called once per report with every record at once, so a report's query count
does not grow with the number of records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TypeAlias, TypeVar

from pubcredit.access.readers import Visibility
from pubcredit.reports.rules import Concealable, Item, is_concealable, without_concealed

MarkSource: TypeAlias = Callable[[Sequence[int]], Mapping[int, Iterable[str]]]
ConcealmentSource: TypeAlias = Callable[[int, Sequence[int]], Iterable[int]]
ItemSource: TypeAlias = Callable[[int, Visibility, date], Iterable[Item]]

MARK_SOURCES: list[MarkSource] = []
CONCEALMENT_SOURCES: list[ConcealmentSource] = []
LIST_ENTRY_SOURCES: list[ItemSource] = []
COMMITMENT_SOURCES: list[ItemSource] = []

_S = TypeVar("_S")
_C = TypeVar("_C", bound=Concealable)


@contextmanager
def registered(registry: list[_S], source: _S) -> Iterator[_S]:
    """Register ``source`` for the duration of a block (tests, and one-off jobs)."""
    registry.append(source)
    try:
        yield source
    finally:
        registry.remove(source)


def record_marks(record_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Art. 34: the marks of each record (e.g. 异议处理中), from every registered source."""
    out: dict[int, list[str]] = {}
    if not record_ids:
        return {}
    for source in MARK_SOURCES:
        for rid, marks in source(record_ids).items():
            out.setdefault(rid, []).extend(marks)
    return {rid: tuple(dict.fromkeys(m)) for rid, m in out.items()}


def concealed_records(subject_id: int, record_ids: Sequence[int]) -> frozenset[int]:
    """Art. 35: which of these (concealable) records the subject has had concealed."""
    if not record_ids:
        return frozenset()
    found: set[int] = set()
    for source in CONCEALMENT_SOURCES:
        found.update(source(subject_id, record_ids))
    return frozenset(found)


def unconcealed(subject_id: int, records: Sequence[_C]) -> list[_C]:
    """Art. 35: ``records`` less those the subject had concealed, asking the concealment sources once
    about the concealable ones (``rules.is_concealable``: good and self-declared information only).
    Every channel that lists a subject's records selects them through this (the report, the special
    report, batch queries, the subject page and API)."""
    ids = [r.id for r in records if is_concealable(info_class=r.info_class, source=r.source)]
    return without_concealed(records, concealed_records(subject_id, ids))


def list_entries(subject_id: int, vis: Visibility, today: date) -> list[Item]:
    """Art. 23: list entries kept outside the catalog records (none until the lists app)."""
    return [it for source in LIST_ENTRY_SOURCES for it in source(subject_id, vis, today)]


def commitments(subject_id: int, vis: Visibility, today: date) -> list[Item]:
    """Art. 30: commitments made and their fulfilment (none until the rights app)."""
    return [it for source in COMMITMENT_SOURCES for it in source(subject_id, vis, today)]
