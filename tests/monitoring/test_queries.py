"""department_quality and departments_overview on PostgreSQL with the seeded calendar."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pubcredit.catalog.models import CatalogVersion, Department
from pubcredit.errors import InvalidInput, NotFound
from pubcredit.monitoring import queries
from pubcredit.monitoring.rules import DOUBLE_PUBLICITY_LAG_WORKDAYS
from pubcredit.workdays import services as workdays
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory, PublishedVersionFactory
from tests.monitoring.helpers import at, batch, record, reject

pytestmark = pytest.mark.django_db

TODAY = date(2025, 10, 20)  # a Monday; the 90-day period starts on 2025-07-23
MISSING = "必填字段，不能为空"


def _version(dept: Department, code: str, frequency: str, *, lag: int | None = None,
             since: date = date(2025, 1, 2)) -> CatalogVersion:
    version: CatalogVersion = PublishedVersionFactory(
        entry__code=code, entry__department=dept, frequency=frequency, submission_lag_workdays=lag,
        published_at=at(since),
    )
    return version


@pytest.fixture
def late_dept() -> dict[str, Any]:
    """A department with a penalty entry (daily, 7 working days), a monthly entry that is late,
    a weekly entry on time and a yearly entry never submitted since it came into force."""
    dept = DepartmentFactory(code="shichangjianguan", name="杭州市市场监督管理局")
    penalty = _version(dept, "CF-SJ", "daily", lag=DOUBLE_PUBLICITY_LAG_WORKDAYS)
    monthly = _version(dept, "JC-SJ", "monthly")
    weekly = _version(dept, "XK-WK", "weekly")
    yearly = _version(dept, "ND-SJ", "yearly", since=date(2023, 6, 1))
    return {"dept": dept, "penalty": penalty, "monthly": monthly, "weekly": weekly, "yearly": yearly}


def _by_code(result: queries.DepartmentQuality) -> dict[str, queries.EntryQuality]:
    return {e.entry_code: e for e in result.entries}


def test_late_and_on_time_entries(late_dept: dict[str, Any]) -> None:
    batch(late_dept["penalty"], at(date(2025, 10, 17), 16))  # Fri → due Mon 10-20: on time today
    batch(late_dept["monthly"], at(date(2025, 8, 5)))        # → due 2025-09-30: 20 days late
    batch(late_dept["weekly"], at(date(2025, 10, 15)))       # → due 10-22
    result = queries.department_quality("shichangjianguan", today=TODAY)
    entries = _by_code(result)

    assert (entries["CF-SJ"].late, entries["CF-SJ"].next_due) == (False, date(2025, 10, 20))
    assert entries["CF-SJ"].last_submission == date(2025, 10, 17)
    assert (entries["JC-SJ"].late, entries["JC-SJ"].days_overdue) == (True, 20)
    assert entries["JC-SJ"].next_due == date(2025, 9, 30)
    assert entries["JC-SJ"].frequency_label == "每月"
    assert (entries["XK-WK"].late, entries["XK-WK"].next_due) == (False, date(2025, 10, 22))
    # In force since 2023-06-01, never submitted: the 2024 submission was due by 2024-12-31.
    assert entries["ND-SJ"].last_submission is None
    assert (entries["ND-SJ"].late, entries["ND-SJ"].next_due) == (True, date(2024, 12, 31))
    assert result.late_entries == 2
    # Late entries first, most overdue first.
    assert [e.entry_code for e in result.entries] == ["ND-SJ", "JC-SJ", "CF-SJ", "XK-WK"]


def test_a_batch_with_every_row_rejected_does_not_keep_the_entry_on_time(late_dept: dict[str, Any]) -> None:
    batch(late_dept["penalty"], at(date(2025, 10, 10)))
    batch(late_dept["penalty"], at(date(2025, 10, 17)), rows=5, rejected=5)
    batch(late_dept["penalty"], at(date(2025, 10, 18)), status="failed")
    entry = _by_code(queries.department_quality("shichangjianguan", today=TODAY))["CF-SJ"]
    assert entry.last_submission == date(2025, 10, 10)
    assert entry.next_due == date(2025, 10, 11)  # Sat 10-11 is a make-up working day
    assert (entry.late, entry.days_overdue) == (True, 9)
    assert entry.batches == 3  # every batch received counts for volume, whatever its outcome


def test_an_empty_batch_keeps_the_entry_on_time(late_dept: dict[str, Any]) -> None:
    batch(late_dept["penalty"], at(date(2025, 10, 17)), rows=0)
    assert not _by_code(queries.department_quality("shichangjianguan", today=TODAY))["CF-SJ"].late


def test_decision_lags_on_the_official_calendar(late_dept: dict[str, Any]) -> None:
    penalty = late_dept["penalty"]
    company = f.org()
    record(company, penalty, decision=date(2025, 9, 30), collected=at(date(2025, 10, 13)))      # 4 working days
    record(company, penalty, decision=date(2025, 9, 30), collected=at(date(2025, 10, 16), 23, 30))  # deadline day
    record(company, penalty, decision=date(2025, 9, 30), collected=at(date(2025, 10, 17), 0, 30))   # a day late
    record(company, penalty, decision=date(2025, 9, 30), collected=at(date(2025, 10, 17), 9))
    # A correction (version 2) collected long after the decision is not a late submission.
    record(company, penalty, decision=date(2025, 8, 1), collected=at(date(2025, 10, 17)), version_number=2)
    # No decision date: counted as a record, not checked for lag.
    record(company, penalty, decision=None, collected=at(date(2025, 10, 17)))
    # Collected before the period: not counted at all.
    record(company, penalty, decision=date(2025, 3, 3), collected=at(date(2025, 7, 22), 23))
    # A non-decision entry: no lag check.
    record(company, late_dept["monthly"], decision=date(2025, 1, 2), collected=at(date(2025, 8, 5)))

    result = queries.department_quality("shichangjianguan", today=TODAY)
    entries = _by_code(result)
    penalty_q = entries["CF-SJ"]
    assert penalty_q.records == 6
    assert (penalty_q.lag_limit_workdays, penalty_q.lag_checked, penalty_q.late_records) == (7, 4, 2)
    assert penalty_q.late_share == 0.5
    assert not penalty_q.lag_provisional
    monthly = entries["JC-SJ"]
    assert (monthly.records, monthly.lag_limit_workdays, monthly.lag_checked, monthly.late_share) == (1, None, 0, None)
    assert (result.records, result.lag_checked, result.late_records, result.late_share) == (7, 4, 2, 0.5)


def test_rejection_rate_top_reasons_and_missing_required_fields(late_dept: dict[str, Any]) -> None:
    b1 = batch(late_dept["penalty"], at(date(2025, 10, 13)), rows=100, rejected=9)
    reject(b1, "CF_JDRQ", MISSING, times=4)
    reject(b1, "CF_WSH", MISSING, times=2)
    reject(b1, "CF_FR_ZJHM", "缺少该自然人的书面同意记录（第三十七条）", times=3)  # not a missing field
    b2 = batch(late_dept["monthly"], at(date(2025, 9, 1)), rows=50, rejected=6)
    reject(b2, "CF_JDRQ", MISSING)
    reject(b2, "CF_JDRQ", "日期格式应为 YYYY-MM-DD", times=2)
    reject(b2, "CF_SY", "超过最大长度", times=2)
    reject(b2, "", "整行重复", times=1)
    # Outside the period, and another department's batch: neither counts.
    old = batch(late_dept["penalty"], at(date(2025, 7, 22), 23, 59), rows=40, rejected=40)
    reject(old, "CF_JDRQ", MISSING, times=40)
    other = PublishedVersionFactory(entry__department=DepartmentFactory(code="other"))
    reject(batch(other, at(date(2025, 10, 13)), rows=10, rejected=10), "CF_JDRQ", MISSING, times=10)

    result = queries.department_quality("shichangjianguan", today=TODAY)
    assert (result.batches, result.rows_received, result.rows_rejected) == (2, 150, 15)
    assert result.rejection_rate == 0.1
    entries = _by_code(result)
    assert (entries["CF-SJ"].rows_received, entries["CF-SJ"].rows_rejected, entries["CF-SJ"].rejection_rate) == (
        100, 9, 0.09)
    assert entries["JC-SJ"].rejection_rate == 0.12
    assert entries["XK-WK"].rejection_rate is None  # nothing received

    assert [(r.field, r.reason, r.count) for r in result.top_reasons] == [
        ("CF_JDRQ", MISSING, 5),
        ("CF_FR_ZJHM", "缺少该自然人的书面同意记录（第三十七条）", 3),
        ("CF_JDRQ", "日期格式应为 YYYY-MM-DD", 2),  # ties by field, then reason
        ("CF_SY", "超过最大长度", 2),
        ("CF_WSH", MISSING, 2),
    ]  # the sixth, 整行重复 (1), is left out
    assert result.top_reasons[0].label == "处罚决定日期"
    assert [(m.entry_code, m.field, m.label, m.count) for m in result.missing_required] == [
        ("CF-SJ", "CF_JDRQ", "处罚决定日期", 4),
        ("CF-SJ", "CF_WSH", "行政处罚决定书文号", 2),
        ("JC-SJ", "CF_JDRQ", "处罚决定日期", 1),
    ]


def test_period_bounds_are_local_days(late_dept: dict[str, Any]) -> None:
    batch(late_dept["penalty"], at(date(2025, 7, 23), 0, 5), rows=7)   # first day of the period
    batch(late_dept["penalty"], at(date(2025, 10, 21), 0, 5), rows=3)  # after "today": ignored entirely
    result = queries.department_quality("shichangjianguan", today=TODAY)
    assert result.period_start == date(2025, 7, 23)
    assert (result.batches, result.rows_received) == (1, 7)
    assert _by_code(result)["CF-SJ"].last_submission == date(2025, 7, 23)
    short = queries.department_quality("shichangjianguan", today=TODAY, period_days=1)
    assert (short.period_start, short.batches) == (TODAY, 0)


def test_only_entries_in_force_are_listed(late_dept: dict[str, Any]) -> None:
    retired = PublishedVersionFactory(entry__department=late_dept["dept"], entry__code="OLD-1", state="retired")
    batch(retired, at(date(2025, 10, 1)), rows=20, rejected=2)
    result = queries.department_quality("shichangjianguan", today=TODAY)
    assert "OLD-1" not in _by_code(result)
    assert (result.rows_received, result.rows_rejected) == (20, 2)  # the department's totals still count it


def test_market_information_entries_have_no_schedule(late_dept: dict[str, Any]) -> None:
    """Art. 15, 17: market information is written by the platform (self-declared, agency-shared), not submitted."""
    before = queries.department_quality("shichangjianguan", today=TODAY).late_entries
    assert before == 4  # nothing submitted in the fixture: all four department entries are late
    for code in ("market-self-declared", "market-agency-shared"):
        _version(late_dept["dept"], code, "realtime", since=date(2024, 1, 2))
    result = queries.department_quality("shichangjianguan", today=TODAY)
    assert not {"market-self-declared", "market-agency-shared"} & set(_by_code(result))
    assert result.late_entries == before
    overview = {d.department_code: d for d in queries.departments_overview(TODAY).departments}
    assert overview["shichangjianguan"].late_entries == before


def test_unknown_and_malformed_codes_and_periods(db: None) -> None:
    with pytest.raises(NotFound):
        queries.department_quality("no-such-dept", today=TODAY)
    for code in ("", "has space", "斜杠/部门", "x" * 41):
        with pytest.raises(InvalidInput) as exc:
            queries.department_quality(code, today=TODAY)
        assert exc.value.field == "code"
    DepartmentFactory(code="d1")
    for days in (0, -5, 3651):
        with pytest.raises(InvalidInput) as exc:
            queries.department_quality("d1", today=TODAY, period_days=days)
        assert exc.value.field == "period_days"


def test_can_view_quality(django_user_model: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not queries.can_view_quality(AnonymousUser())
    assert not queries.can_view_quality(django_user_model.objects.create_user("citizen"))
    assert queries.can_view_quality(django_user_model.objects.create_user("officer", is_staff=True, role="officer"))


def test_overview_lists_active_departments_worst_first(late_dept: dict[str, Any]) -> None:
    batch(late_dept["penalty"], at(date(2025, 10, 17)), rows=100, rejected=1)
    batch(late_dept["monthly"], at(date(2025, 8, 5)))
    good = DepartmentFactory(code="a-good", name="杭州市好部门")
    batch(_version(good, "G-1", "weekly"), at(date(2025, 10, 15)), rows=10, rejected=5)
    careless = DepartmentFactory(code="b-careless", name="杭州市粗心部门")
    batch(_version(careless, "C-1", "weekly"), at(date(2025, 10, 15)), rows=10, rejected=8)
    DepartmentFactory(code="c-idle", name="杭州市无事项部门")
    DepartmentFactory(code="z-closed", is_active=False)

    overview = queries.departments_overview(TODAY)
    rows = [(d.department_code, d.entries, d.late_entries, d.rejection_rate) for d in overview.departments]
    assert rows == [
        ("shichangjianguan", 4, 3, round(1 / 110, 4)),  # weekly XK-WK never submitted since January: late too
        ("b-careless", 1, 0, 0.8),
        ("a-good", 1, 0, 0.5),
        ("c-idle", 0, 0, None),
    ]


def _bulk(dept: Department, n_entries: int, n_records: int) -> None:
    company = f.org()
    for i in range(n_entries):
        version = _version(dept, f"{dept.code}-{i}", "daily", lag=7 if i % 2 == 0 else None)
        b = batch(version, at(date(2025, 10, 1 + i % 10)), rows=10, rejected=1)
        reject(b, "CF_JDRQ", MISSING)
        reject(b, "CF_SY", f"原因 {i}")
        for j in range(n_records):
            record(company, version, decision=date(2025, 9, 1 + j % 20), collected=at(date(2025, 10, 1 + j % 15)))


def test_department_quality_runs_a_fixed_number_of_queries(django_assert_num_queries: Any) -> None:
    small = DepartmentFactory(code="small")
    large = DepartmentFactory(code="large")
    _bulk(small, n_entries=2, n_records=2)
    _bulk(large, n_entries=8, n_records=25)
    workdays.calendar()  # cached per process; read once
    # department, versions in force, batch totals, record counts, lag pairs, reasons, missing fields
    with django_assert_num_queries(7):
        queries.department_quality("small", today=TODAY)
    with django_assert_num_queries(7):
        result = queries.department_quality("large", today=TODAY)
    assert (len(result.entries), result.records, result.batches) == (8, 200, 8)
    with django_assert_num_queries(3):  # departments, versions in force, batch totals
        overview = queries.departments_overview(TODAY)
    assert len(overview.departments) == 2


def test_the_period_s_records_can_be_found_by_the_collection_time_index() -> None:
    # Few rows here, so the planner would read the table anyway: forbid that and see that the
    # record counts of the period can be served by the BRIN index on collected_at. (The lag pairs'
    # statement uses it too on a city's table, with the version index beside it; on a few rows the
    # planner prefers the version index alone.)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dept = DepartmentFactory(code="brin")
    _bulk(dept, n_entries=1, n_records=3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with CaptureQueriesContext(connection) as captured:
        queries.department_quality("brin", today=TODAY)
    counts = [c["sql"] for c in captured.captured_queries
              if 'FROM "collection_record"' in c["sql"] and "decision_date" not in c["sql"]]
    assert len(counts) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {counts[0]}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "record_collected_brin" in plan, plan


def test_a_failed_or_unfinished_batch_does_not_count_towards_rows_received() -> None:
    from tests.factories.catalog import DepartmentFactory, PublishedVersionFactory
    from tests.monitoring.helpers import at, batch, reject

    department = DepartmentFactory(code="rate-dept", name="比率局")
    version = PublishedVersionFactory(entry__code="R-CF", entry__department=department, frequency="daily",
                                      published_at=at(date(2025, 1, 2)))
    done = batch(version, at(date(2026, 11, 20)), rows=100, rejected=50)
    reject(done, "CF_WSH", "CF_WSH（行政处罚决定书文号）：必填项，不能为空", 50)
    batch(version, at(date(2026, 11, 21)), rows=400_000, rejected=0, status="failed")  # read that far, kept none
    batch(version, at(date(2026, 11, 22)), rows=5_000, rejected=0, status="processing")
    q = queries.department_quality("rate-dept", today=date(2026, 11, 26), period_days=365)
    assert (q.rows_received, q.rows_rejected, q.rejection_rate) == (100, 50, 0.5)
    assert q.batches == 3
    assert [(m.field, m.count) for m in q.missing_required] == [("CF_WSH", 50)]


def test_top_reasons_count_each_problem_without_its_values(late_dept: dict[str, Any]) -> None:
    """A rejected row keeps all its problems joined by "；", each naming its values: counted one by one,
    for the field each names, the values left out — not one line per row's exact text."""
    b = batch(late_dept["penalty"], at(date(2025, 10, 13)), rows=100, rejected=5)
    future = "CF_JDRQ（处罚决定日期）：决定日期 {} 晚于今天（2025-10-13）"
    reject(b, "CF_JDRQ", future.format("2026-01-05"))
    reject(b, "CF_JDRQ", future.format("2026-03-01") + "；CF_SY（违法事实）：必填项，不能为空")
    reject(b, "CF_WSH", "CF_WSH（行政处罚决定书文号）：与本批第 3 条数据的业务主键相同（同一批次内重复）")
    reject(b, "CF_WSH", "CF_WSH（行政处罚决定书文号）：与本批第 17 条数据的业务主键相同（同一批次内重复）")
    reject(b, "CF_XDR_SHXYM", "CF_FR_ZJHM（法定代表人证件号码）：代码 91330106MA2B3C4D5E 属于法人")
    result = queries.department_quality("shichangjianguan", today=TODAY)
    assert [(r.field, r.reason, r.count) for r in result.top_reasons] == [
        ("CF_JDRQ", "CF_JDRQ（处罚决定日期）：决定日期 … 晚于今天（…）", 2),
        ("CF_WSH", "CF_WSH（行政处罚决定书文号）：与本批第 … 条数据的业务主键相同（同一批次内重复）", 2),
        ("CF_FR_ZJHM", "CF_FR_ZJHM（法定代表人证件号码）：代码 … 属于法人", 1),  # the field the problem names
        ("CF_SY", "CF_SY（违法事实）：必填项，不能为空", 1),  # the second problem of a row counts too
    ]
