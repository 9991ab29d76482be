"""The synthetic city: counts, valid records for every catalog entry, no ID number in clear, determinism."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction

from pubcredit import cli
from pubcredit.catalog import services
from pubcredit.catalog.models import CatalogVersion, InfoClass, VersionState
from pubcredit.codes import hangzhou_district_name, mask_resident_id, validate_uscc
from pubcredit.collection.models import Record
from pubcredit.collection.rules import add_months
from pubcredit.errors import InvalidInput
from pubcredit.subjects import pii
from pubcredit.subjects.models import Subject, SubjectKind, SubjectRelation
from pubcredit.synthetic import city, values

PLAN = city.CityPlan(orgs=60, persons=150, records=3000, seed=7)
LICENCE_CATEGORIES = {"普通", "特许", "认可", "核准", "登记"}
MASKED_ID = re.compile(r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$")


@pytest.fixture(scope="module")
def generated(django_db_setup: None, django_db_blocker: Any) -> Iterator[city.CityStats]:
    """Catalog and city once for the module; each test then runs in its own rolled-back savepoint."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            services.load_initial_catalog(actor="test")
            yield city.generate(PLAN)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _records() -> list[Record]:
    return list(Record.objects.select_related("entry", "entry_version", "subject"))


def _published() -> list[CatalogVersion]:
    return list(CatalogVersion.objects.filter(state=VersionState.PUBLISHED).select_related("entry")
                .exclude(entry__code__in=city.MARKET_ENTRIES))


# --- what is generated ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_counts_match_the_plan(generated: city.CityStats) -> None:
    assert (generated.orgs, generated.persons, generated.records) == (60, 150, 3000)
    assert Subject.objects.filter(kind=SubjectKind.NATURAL_PERSON).count() == 150
    assert Subject.objects.exclude(kind=SubjectKind.NATURAL_PERSON).count() == 60
    assert Record.objects.count() == 3000
    assert SubjectRelation.objects.count() == generated.relations >= 60  # every organisation has a legal rep
    assert sum(generated.records_by_class.values()) == 3000


@pytest.mark.django_db
def test_every_published_entry_gets_records(generated: city.CityStats) -> None:
    counts = Counter(Record.objects.values_list("entry__code", flat=True))
    published = {v.entry.code for v in _published()}
    assert len(published) == 42
    assert sorted(code for code in published if not counts[code]) == []


@pytest.mark.django_db
def test_every_record_satisfies_its_field_specs(generated: city.CityStats) -> None:
    problems: list[str] = []
    for record in _records():
        version = record.entry_version
        specs = {f["name"]: f for f in version.fields}
        data = record.data
        where = f"{record.entry.code}#{record.pk}"
        problems += [f"{where}.{name}: 不在字段列表中" for name in data if name not in specs]
        for name, spec in specs.items():
            value = data.get(name)
            cond = spec.get("required_if")
            required = spec.get("required") or (cond is not None and str(data.get(cond["field"])) in cond["in"])
            if value is None:
                if required:
                    problems.append(f"{where}.{name}: 必填字段缺失")
                continue
            message = values.validate_generated(spec, value)
            if message:
                problems.append(f"{where}.{name}: {message} ({value!r})")
            if isinstance(value, str) and record.entry.name in value:
                problems.append(f"{where}.{name}: 占位文本 {value!r}")
        if version.decision_date_field:
            assert data[version.decision_date_field] == record.decision_date.isoformat(), where
    assert problems[:20] == []


@pytest.mark.django_db
def test_record_subjects_are_of_a_kind_the_entry_covers(generated: city.CityStats) -> None:
    wrong = [(r.entry.code, r.subject.kind) for r in _records() if r.subject.kind not in r.entry_version.subject_kinds]
    assert wrong == []


@pytest.mark.django_db
def test_organisations_have_valid_hangzhou_usccs(generated: city.CityStats) -> None:
    orgs = list(Subject.objects.exclude(kind=SubjectKind.NATURAL_PERSON))
    assert len(orgs) == 60
    for org in orgs:
        assert org.uscc is not None
        info = validate_uscc(org.uscc)
        assert hangzhou_district_name(info.region_code), org.uscc  # current or retired Hangzhou district
        assert hangzhou_district_name(org.region_code), org.region_code


@pytest.mark.django_db
def test_no_table_holds_a_resident_id_in_clear(generated: city.CityStats) -> None:
    persons = Subject.objects.filter(kind=SubjectKind.NATURAL_PERSON)
    ids = [pii.decrypt_resident_id(p.resident_id_enc) for p in persons]
    assert len(set(ids)) == 150
    pattern = re.compile("|".join(map(re.escape, ids)))
    hits: list[str] = []
    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cur.fetchall():
            cur.execute(f'SELECT t::text FROM "{table}" t')
            hits += [table for (row,) in cur.fetchall() if pattern.search(row)]
    assert hits == []
    # ... while records do carry the masked numbers, so the scan looked at the right text
    masked = {mask_resident_id(rid) for rid in ids}
    assert any(isinstance(v, str) and v in masked for r in Record.objects.all() for v in r.data.values())


@pytest.mark.django_db
def test_adverse_records_are_disclosed_for_the_entry_period(generated: city.CityStats) -> None:
    checked = 0
    for record in _records():
        months = record.entry_version.disclosure_months
        if record.info_class == InfoClass.ADVERSE and months:
            assert record.disclosure_until == add_months(record.decision_date, months), record.entry.code
            checked += 1
        elif record.info_class != InfoClass.ADVERSE:
            assert record.disclosure_until is None
    assert checked > 500


# --- realistic and consistent values ----------------------------------------------------------------

def _by_entry(prefix: str) -> list[dict[str, Any]]:
    return [r.data for r in Record.objects.filter(entry__code__startswith=prefix)]


@pytest.mark.django_db
def test_licensing_records_are_consistent(generated: city.CityStats) -> None:
    rows = _by_entry("licensing-")
    assert rows
    for data in rows:
        assert data["XK_XKLB"] in LICENCE_CATEGORIES
        assert data["XK_NR"].startswith("准予")
        assert data["XK_YXQZ"] == data["XK_JDRQ"] < data["XK_YXQZI"]
        assert (data["XK_ZT"] == "2") or data["XK_YXQZI"] >= PLAN.as_of.isoformat()
        if data["XK_XDR_LB"] == "自然人":
            assert MASKED_ID.match(data["XK_XDR_ZJHM"])


@pytest.mark.django_db
def test_penalty_records_are_consistent(generated: city.CityStats) -> None:
    rows = _by_entry("penalty-")
    assert rows
    cases = {(f"违反了{c.breached}的规定", f"依据{c.basis}") for c in values.ALL_CASES}
    categories = Counter()
    for data in rows:
        assert (data["CF_WFXW"], data["CF_YJ"]) in cases  # the provision breached and the basis of one case
        assert data["CF_SY"].startswith("经")
        assert data["CF_YXQ"] > data["CF_JDRQ"]
        category = data["CF_CFLB"]
        categories[category] += 1
        if category == "01":
            assert data["CF_NR"].startswith("警告")
            assert "CF_NR_FK" not in data
        if category == "02":
            assert "罚款" in data["CF_NR"]
            assert float(data["CF_NR_FK"]) > 0
        if "CF_NR_FK" in data:  # 万元 in the field, 元 or 万元 in the text
            yuan = round(float(data["CF_NR_FK"]) * 10000)
            assert (f"罚款{yuan}元" in data["CF_NR"]) or (f"罚款{yuan // 10000}万元" in data["CF_NR"])
        if data["CF_AJCXLB"] == "01":
            assert category == "01" or float(data.get("CF_NR_FK", 0)) <= 0.3
    assert {"01", "02"} <= set(categories)


@pytest.mark.django_db
def test_other_entries_get_plausible_values(generated: city.CityStats) -> None:
    for data in _by_entry("volunteering"):
        assert 12.5 <= float(data["service_hours"]) <= 800
        assert 2000 < data["year"] <= PLAN.as_of.year
        assert data.get("organization", "协会").endswith(("协会", "联合会", "总队"))
    for data in _by_entry("org-officers"):
        assert MASKED_ID.match(data.get("person_id_no", "330106********1234"))
    for data in _by_entry("org-social-insurance"):
        assert re.fullmatch(r"\d{4}-\d{2}", data["period"])
        assert data["period"] < PLAN.as_of.isoformat()[:7]
    for data in _by_entry("person-education"):
        assert data["school"].endswith(("大学", "学院", "中学", "学校", "（总校）"))
        assert data["graduated_on"] <= PLAN.as_of.isoformat()


# --- determinism -------------------------------------------------------------------------------------

def _fingerprint() -> tuple[list[tuple[Any, ...]], Counter[tuple[Any, ...]], list[tuple[Any, ...]]]:
    subjects = sorted(Subject.objects.values_list("kind", "name", "uscc", "resident_id_hash", "resident_id_masked",
                                                  "region_code", "public_ref"))
    records = Counter(Record.objects.values_list("entry__code", "natural_key", "content_hash", "decision_date",
                                                 "disclosure_until"))
    relations = sorted(SubjectRelation.objects.values_list("organization__name", "related__name", "role", "since"))
    return subjects, records, relations


@pytest.mark.django_db
def test_generation_is_deterministic_for_a_seed(generated: city.CityStats) -> None:
    first = _fingerprint()
    Record.objects.all().delete()
    SubjectRelation.objects.all().delete()
    Subject.objects.all().delete()
    again = city.generate(PLAN)
    assert (again.orgs, again.persons, again.records) == (generated.orgs, generated.persons, generated.records)
    assert _fingerprint() == first


# --- refusals ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "plan"), [
    ("orgs", city.CityPlan(orgs=0, persons=1, records=1)),
    ("persons", city.CityPlan(orgs=1, persons=0, records=1)),
    ("records", city.CityPlan(orgs=1, persons=1, records=-1)),
    ("years", city.CityPlan(orgs=1, persons=1, records=1, years=31)),
])
def test_a_plan_out_of_range_is_refused_naming_the_field(name: str, plan: city.CityPlan) -> None:
    with pytest.raises(InvalidInput) as caught:
        city.generate(plan)
    assert caught.value.field == name


@pytest.mark.django_db
def test_without_a_published_catalog_nothing_is_written() -> None:
    CatalogVersion.objects.filter(state=VersionState.PUBLISHED).update(state=VersionState.RETIRED)
    before = (Subject.objects.count(), SubjectRelation.objects.count(), Record.objects.count())
    with pytest.raises(InvalidInput) as caught:
        city.generate(city.CityPlan(orgs=5, persons=5, records=5, as_of=date(2026, 1, 31)))
    assert caught.value.field == "catalog"
    assert (Subject.objects.count(), SubjectRelation.objects.count(), Record.objects.count()) == before


def test_cli_refuses_a_plan_out_of_range_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["generate", "--orgs", "0"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("pubcredit: error: orgs: ")
    assert err.count("\n") == 1
