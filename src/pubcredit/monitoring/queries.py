"""Reads for department accountability (Art. 13, 51): timeliness and quality of submissions.

Everything is computed from batches, rejections and records; nothing is stored. Each read runs
a fixed number of aggregate queries whatever the number of entries, batches or records: the
database groups, Python only walks the groups (for lags: the distinct decision/collection date
pairs, never the records).

Who may read is decided by :func:`can_view_quality` alone, so that the role rules of the access
issue (#4) replace one function.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog.models import CatalogVersion, Department, Frequency, VersionState
from pubcredit.collection import rules as collection_rules
from pubcredit.collection.models import Batch, BatchRejection, BatchStatus, Record, RecordSource
from pubcredit.errors import InvalidInput
from pubcredit.monitoring import rules
from pubcredit.workdays import services as workdays
from pubcredit.workdays.rules import WorkdayCalendar

DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 3650
TOP_REASONS = 5
#: A department code as ``Department.code`` (a slug field of 40 characters) allows it.
DEPARTMENT_CODE_RE = re.compile(r"[-a-zA-Z0-9_]{1,40}")

#: A batch counts as a submission for timeliness when it completed and delivered something
#: usable, or was an empty "nothing new" batch. A batch whose every row was rejected does not
#: keep an entry on time: the department has not yet delivered what it owes.
_COUNTS_AS_SUBMISSION = Q(status=BatchStatus.COMPLETED) & (Q(row_count=0) | Q(rejected__lt=F("row_count")))


# ---------------------------------------------------------------------------------------------
# Who may read


def can_view_quality(user: object) -> bool:
    """Whether ``user`` may read departments' submission quality (Art. 51 supervision).

    For now: logged-in staff (officers, operators, auditors). The access issue (#4) replaces
    this with roles (e.g. an officer sees only their own department).
    """
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False))


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class EntryQuality:
    """One catalog entry the department provides: its timeliness and quality in the period.

    ``next_due`` is the last day the next submission is on time; ``late``/``days_overdue``
    compare it with today. The lag fields are set for decision-type entries only (those whose
    version in force has ``submission_lag_workdays``): ``lag_checked`` first versions of records
    with a decision date collected in the period, ``late_records`` of them after the deadline.
    """

    entry_code: str
    entry_name: str
    frequency: str
    frequency_label: str
    last_submission: dt.date | None
    next_due: dt.date
    due_provisional: bool
    late: bool
    days_overdue: int
    records: int
    batches: int
    rows_received: int
    rows_rejected: int
    rejection_rate: float | None
    lag_limit_workdays: int | None
    lag_checked: int
    late_records: int
    late_share: float | None
    lag_provisional: bool


@dataclass(frozen=True)
class ReasonCount:
    """A rejection reason and how many rejected rows gave it, with the field's catalog label."""

    field: str
    label: str
    reason: str
    count: int


@dataclass(frozen=True)
class MissingField:
    """Rejections for a required field left empty, per entry and field."""

    entry_code: str
    field: str
    label: str
    count: int


@dataclass(frozen=True)
class DepartmentQuality:
    """Timeliness and quality of one department's submissions (Art. 13, 51).

    The period is ``period_start`` … ``today`` inclusive (``period_days`` local days).
    ``rejection_rate`` is rejected rows / rows received in the period's batches;
    ``late_share`` is late records / records checked for lag, over decision-type entries.
    """

    department_code: str
    department_name: str
    today: dt.date
    period_days: int
    period_start: dt.date
    entries: list[EntryQuality]
    late_entries: int
    records: int
    batches: int
    rows_received: int
    rows_rejected: int
    rejection_rate: float | None
    lag_checked: int
    late_records: int
    late_share: float | None
    top_reasons: list[ReasonCount]
    missing_required: list[MissingField]


@dataclass(frozen=True)
class DepartmentSummary:
    """One line of the overview: a department's late entries and rejection rate in the period."""

    department_code: str
    department_name: str
    entries: int
    late_entries: int
    batches: int
    rows_received: int
    rows_rejected: int
    rejection_rate: float | None


@dataclass(frozen=True)
class Overview:
    today: dt.date
    period_days: int
    period_start: dt.date
    departments: list[DepartmentSummary]


# ---------------------------------------------------------------------------------------------
# Helpers


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value, timezone.get_default_timezone()).date()


def _day_start(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time.min, tzinfo=timezone.get_default_timezone())


def _check_period(period_days: int) -> None:
    if isinstance(period_days, bool) or not isinstance(period_days, int) or not 1 <= period_days <= MAX_PERIOD_DAYS:
        raise InvalidInput(f"统计期间应为 1–{MAX_PERIOD_DAYS} 天，而不是 {period_days!r}", field="period_days")


def _period(today: dt.date | None, period_days: int) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime]:
    """(today, first day, start instant, end instant): the last ``period_days`` local days to today."""
    _check_period(period_days)
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    first = today - dt.timedelta(days=period_days - 1)
    return today, first, _day_start(first), _day_start(today + dt.timedelta(days=1))


def _versions_in_force(departments: Iterable[int] | None = None) -> list[CatalogVersion]:
    """The published versions (entry loaded), each annotated with its entry's first publication."""
    # Market credit information is written by the platform, not submitted: no schedule to keep.
    qs = (CatalogVersion.objects.select_related("entry")
          .filter(state=VersionState.PUBLISHED).exclude(entry__code__in=collection_rules.MARKET_ENTRIES)
          .annotate(first_published=Min("entry__versions__published_at"))
          .order_by("entry__code"))
    if departments is not None:
        qs = qs.filter(entry__department_id__in=list(departments))
    return list(qs)


def _in_force_since(version: CatalogVersion) -> dt.date:
    first: dt.datetime | None = getattr(version, "first_published", None)
    return _local_date(first or version.published_at or version.entry.created_at)


@dataclass(frozen=True)
class _Batches:
    """One department's batches under one entry: last counted submission (ever, up to the end of
    the period), and the batches, rows received and rows rejected in the period."""

    last: dt.datetime | None = None
    batches: int = 0
    received: int = 0
    rejected: int = 0


_NO_BATCHES = _Batches()


def _batch_totals(start: dt.datetime, end: dt.datetime, **filters: object) -> dict[tuple[int, int], _Batches]:
    """:class:`_Batches` per (department id, entry id), in one grouped query."""
    in_period = Q(created_at__gte=start, created_at__lt=end)
    # Rows count once a batch is completed: a failed file keeps nothing (its row_count says how far
    # it was read), and one still processing has not been judged yet; either would lower the rate.
    judged = in_period & Q(status=BatchStatus.COMPLETED)
    rows = (Batch.objects.filter(created_at__lt=end, **filters)
            .values_list("department_id", "entry_id")
            .annotate(
                last=Max("created_at", filter=_COUNTS_AS_SUBMISSION),
                batches=Count("id", filter=in_period),
                received=Coalesce(Sum("row_count", filter=judged), 0),
                rejected=Coalesce(Sum("rejected", filter=judged), 0),
            )
            .order_by())
    return {(dept, entry): _Batches(last, n, received, rejected) for dept, entry, last, n, received, rejected in rows}


@dataclass(frozen=True)
class _Timeliness:
    last: dt.date | None
    due: dt.date
    provisional: bool
    late: bool
    days_overdue: int


def _timeliness(version: CatalogVersion, last_at: dt.datetime | None, today: dt.date,
                cal: WorkdayCalendar) -> _Timeliness:
    last = _local_date(last_at) if last_at is not None else None
    due = rules.next_due(version.frequency, last, today, calendar=cal, since=_in_force_since(version))
    return _Timeliness(last, due.date, due.provisional, rules.is_late(due.date, today),
                       rules.days_overdue(due.date, today))


def _frequency_label(value: str) -> str:
    try:
        return str(Frequency(value).label)
    except ValueError:
        return value


def _labels(versions: Iterable[CatalogVersion]) -> dict[tuple[int, str], str]:
    """(entry id, field name) → the field's label in the version in force."""
    out: dict[tuple[int, str], str] = {}
    for version in versions:
        for spec in version.fields or []:
            if isinstance(spec, dict) and "name" in spec:
                out[(version.entry_id, str(spec["name"]))] = str(spec.get("label") or spec["name"])
    return out


def _missing_required(department_id: int, start: dt.datetime, end: dt.datetime) -> list[tuple[int, str, str, int]]:
    """(entry id, entry code, field, rows) for each required field left empty in rejected rows of the
    department's batches of the period. A rejected row keeps every problem it had, joined by "；"
    in its reason (its ``field`` is only the first one's), so the fields are read from the reason:
    each ``FIELD（label）：必填项…`` or ``…：当 … 时必填`` part (``rules.MISSING_REQUIRED_RE``) counts
    once for its own field — not the row's first field, and never a field that was filled in but
    invalid."""
    sql = f"""
        SELECT b.entry_id, e.code, f.field, count(*)
        FROM {BatchRejection._meta.db_table} r
        JOIN {Batch._meta.db_table} b ON b.id = r.batch_id
        JOIN catalog_catalogentry e ON e.id = b.entry_id
        CROSS JOIN LATERAL (
            SELECT m[1] AS field FROM regexp_matches(r.reason, %s, 'g') AS m
            UNION ALL  -- a reason not in the validator's words (older rows): its marker and row field
            SELECT r.field WHERE r.reason !~ %s AND r.reason ~ %s
        ) AS f
        WHERE b.department_id = %s AND b.created_at >= %s AND b.created_at < %s
        GROUP BY b.entry_id, e.code, f.field
        ORDER BY count(*) DESC, e.code, f.field"""
    with connection.cursor() as cur:
        cur.execute(sql, [rules.MISSING_REQUIRED_RE, rules.VALIDATOR_REASON_RE,
                          "|".join(rules.MISSING_REQUIRED_MARKERS), department_id, start, end])
        return [(int(a), str(b), str(c), int(d)) for a, b, c, d in cur.fetchall()]


#: Distinct problem texts read for ``_top_reasons`` (the commonest first): beyond them, a long tail of
#: texts seen once or twice each, which cannot change the top five by much.
REASON_TEXTS_READ = 20_000


def _top_reasons(department_id: int, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, int]]:
    """(field, reason, rows) of the commonest rejection reasons of the department's batches of the
    period. A rejected row keeps all its problems joined by "；" and each names its values (dates,
    numbers, codes), so each problem counts apart, for the field it names, with its values left out
    (``rules.reason_kind``): "决定日期 … 晚于今天（…）" rather than one line per date."""
    sql = f"""
        SELECT r.field, p.part, count(*) AS n
        FROM {BatchRejection._meta.db_table} r
        JOIN {Batch._meta.db_table} b ON b.id = r.batch_id
        CROSS JOIN LATERAL unnest(string_to_array(r.reason, '；')) AS p(part)
        WHERE b.department_id = %s AND b.created_at >= %s AND b.created_at < %s AND btrim(p.part) <> ''
        GROUP BY r.field, p.part
        ORDER BY n DESC
        LIMIT %s"""
    with connection.cursor() as cur:
        cur.execute(sql, [department_id, start, end, REASON_TEXTS_READ])
        rows = cur.fetchall()
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row_field, part, n in rows:
        field = rules.reason_field(part) or str(row_field)
        counts[(field, rules.reason_kind(part))] += int(n)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][0], item[0][1]))
    return [(field, kind, n) for (field, kind), n in ranked[:TOP_REASONS]]


# ---------------------------------------------------------------------------------------------
# Reads


def department_quality(department_code: str, *, today: dt.date | None = None,
                       period_days: int = DEFAULT_PERIOD_DAYS) -> DepartmentQuality:
    """Timeliness and quality of one department's submissions (Art. 13, 51).

    Per entry it provides (published version in force): frequency, last submission, next due
    day and lateness, records collected, batches, rows received/rejected, and for decision-type
    entries the records submitted after their deadline; for the department: totals, the most
    common rejection reasons and the rejections for missing required fields. Seven queries
    (department, versions, batches, record counts, lag pairs, reasons, missing fields) plus the
    cached calendar. Raises InvalidInput for a malformed code or period, NotFound for an
    unknown department.
    """
    if not isinstance(department_code, str) or not DEPARTMENT_CODE_RE.fullmatch(department_code):
        raise InvalidInput("部门编码应为 1–40 位字母、数字、连字符或下划线", field="code")
    today, first, start, end = _period(today, period_days)
    department = catalog_queries.department_by_code(department_code)
    cal = workdays.calendar()

    versions = _versions_in_force([department.pk])
    labels = _labels(versions)
    batches = _batch_totals(start, end, department=department)
    in_period = {"department": department, "source": RecordSource.PUBLIC,
                 "collected_at__gte": start, "collected_at__lt": end}
    record_counts = dict(Record.objects.filter(**in_period).values("entry_id")
                         .annotate(n=Count("id")).order_by().values_list("entry_id", "n"))

    # Lags: first versions only (a correction is not a late submission of the decision), grouped
    # by (entry, decision day, local day the platform received the batch) so Python sees date
    # pairs, not records. Received, not collected: a file kept at 23:50 and collected by a task
    # worker after midnight (a queue, a restarted worker) was submitted on time.
    limits = {v.entry_id: v.submission_lag_workdays for v in versions if v.submission_lag_workdays is not None}
    pairs: dict[int, list[tuple[dt.date, dt.date, int]]] = defaultdict(list)
    if limits:
        grouped = (Record.objects.filter(**in_period, version=1, entry_id__in=list(limits),
                                         decision_date__isnull=False)
                   .annotate(collected_on=TruncDate(Coalesce("batch__created_at", "collected_at"),
                                                    tzinfo=timezone.get_default_timezone()))
                   .values("entry_id", "decision_date", "collected_on")
                   .annotate(n=Count("id")).order_by())
        for row in grouped:
            pairs[row["entry_id"]].append((row["decision_date"], row["collected_on"], row["n"]))

    entries: list[EntryQuality] = []
    for version in versions:
        totals = batches.get((department.pk, version.entry_id), _NO_BATCHES)
        t = _timeliness(version, totals.last, today, cal)
        limit = limits.get(version.entry_id)
        checked = late = 0
        lag_provisional = False
        if limit is not None:
            checked, late, lag_provisional = rules.count_late_submissions(pairs[version.entry_id], limit, cal)
        entries.append(EntryQuality(
            entry_code=version.entry.code, entry_name=version.entry.name,
            frequency=version.frequency, frequency_label=_frequency_label(version.frequency),
            last_submission=t.last, next_due=t.due, due_provisional=t.provisional,
            late=t.late, days_overdue=t.days_overdue,
            records=record_counts.get(version.entry_id, 0),
            batches=totals.batches, rows_received=totals.received, rows_rejected=totals.rejected,
            rejection_rate=rules.ratio(totals.rejected, totals.received),
            lag_limit_workdays=limit, lag_checked=checked, late_records=late,
            late_share=rules.ratio(late, checked) if limit is not None else None,
            lag_provisional=lag_provisional,
        ))
    entries.sort(key=lambda e: (not e.late, -e.days_overdue, e.entry_code))

    # Department totals cover every batch in the period, also under entries no longer in force.
    received = sum(t.received for t in batches.values())
    rejected = sum(t.rejected for t in batches.values())
    checked = sum(e.lag_checked for e in entries)
    late = sum(e.late_records for e in entries)

    field_labels = {name: label for (_, name), label in labels.items()}
    top = [ReasonCount(field=field, label=field_labels.get(field, field), reason=kind, count=n)
           for field, kind, n in _top_reasons(department.pk, start, end)]
    missing = [
        MissingField(entry_code=code, field=name, label=labels.get((entry_id, name), name), count=n)
        for entry_id, code, name, n in _missing_required(department.pk, start, end)
    ]

    return DepartmentQuality(
        department_code=department.code, department_name=department.name, today=today,
        period_days=period_days, period_start=first, entries=entries,
        late_entries=sum(1 for e in entries if e.late), records=sum(record_counts.values()),
        batches=sum(t.batches for t in batches.values()),
        rows_received=received, rows_rejected=rejected, rejection_rate=rules.ratio(rejected, received),
        lag_checked=checked, late_records=late, late_share=rules.ratio(late, checked) if limits else None,
        top_reasons=top, missing_required=missing,
    )


def departments_overview(today: dt.date | None = None, *, period_days: int = DEFAULT_PERIOD_DAYS) -> Overview:
    """Every active department with its late entries and rejection rate, worst first (Art. 51).

    Worst first: most late entries, then highest rejection rate, then code. Three queries
    (departments, versions in force, batch totals) plus the cached calendar. Raises
    InvalidInput for a bad period.
    """
    today, first, start, end = _period(today, period_days)
    departments: list[Department] = catalog_queries.departments(active_only=True)
    cal = workdays.calendar()
    versions = _versions_in_force()
    batches = _batch_totals(start, end, department__is_active=True)

    by_department: dict[int, list[CatalogVersion]] = defaultdict(list)
    for version in versions:
        by_department[version.entry.department_id].append(version)
    totals: dict[int, _Batches] = {}
    for (dept_id, _entry_id), t in batches.items():
        acc = totals.get(dept_id, _NO_BATCHES)
        totals[dept_id] = _Batches(None, acc.batches + t.batches, acc.received + t.received, acc.rejected + t.rejected)

    summaries: list[DepartmentSummary] = []
    for dept in departments:
        own = by_department.get(dept.pk, [])
        late = sum(
            1 for v in own
            if _timeliness(v, batches.get((dept.pk, v.entry_id), _NO_BATCHES).last, today, cal).late
        )
        sums = totals.get(dept.pk, _NO_BATCHES)
        summaries.append(DepartmentSummary(
            department_code=dept.code, department_name=dept.name, entries=len(own), late_entries=late,
            batches=sums.batches, rows_received=sums.received, rows_rejected=sums.rejected,
            rejection_rate=rules.ratio(sums.rejected, sums.received),
        ))
    summaries.sort(key=lambda s: (-s.late_entries, -(s.rejection_rate or 0.0), s.department_code))
    return Overview(today=today, period_days=period_days, period_start=first, departments=summaries)
