"""The shipped initial catalog: coverage of Art. 10–12, 双公示 field sets, idempotent all-or-nothing loading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from pubcredit.catalog import queries, services
from pubcredit.catalog.models import CatalogEntry, CatalogEvent, CatalogVersion, Department, VersionState
from pubcredit.errors import Conflict
from tests.catalog.conftest import ACTOR, shipped, write

pytestmark = pytest.mark.django_db

#: Every item of Art. 10, 11 and 12 → the entries that cover it (their legal basis cites the item).
COVERAGE = {
    "第十条第一款第（一）项": ["org-registration", "social-org-registration"],
    "第十条第一款第（二）项": ["org-registration", "org-investors", "social-org-registration"],
    "第十条第一款第（三）项": ["org-officers", "org-branches"],
    "第十条第一款第（四）项": ["licensing-scjg", "licensing-jw"],
    "第十条第一款第（五）项": ["org-certification"],
    "第十条第一款第（六）项": ["org-social-insurance"],
    "第十条第二款第（一）项": ["person-identity"],
    "第十条第二款第（二）项": ["person-education", "person-employment"],
    "第十条第二款第（三）项": ["person-qualification", "person-lawyer-licence", "person-physician-licence"],
    "第十一条第一款第（一）项": ["commitment-breach-org", "commitment-breach-person"],
    "第十一条第一款第（二）项": ["tax-arrears-org", "tax-arrears-person", "utility-fee-arrears", "unpaid-fines"],
    "第十一条第一款第（三）项": ["penalty-scjg", "penalty-sthj", "penalty-cgj", "court-defaulter", "business-anomaly",
                          "serious-dishonesty-org", "serious-dishonesty-person"],
    "第十一条第二款第（一）项": ["transit-fare-evasion"],
    "第十一条第二款第（二）项": ["medical-order-violation", "medical-insurance-fraud"],
    "第十一条第二款第（三）项": ["academic-misconduct", "fraudulent-honours", "exam-cheating"],
    "第十二条第一款第（一）项": ["emergency-response", "volunteering", "bravery", "charitable-donation"],
    "第十二条第一款第（二）项": ["awards-org", "awards-person"],
    "第十二条第一款第（三）项": ["tax-credit-a", "blood-donation"],
}

XK_FIELDS = [
    "XK_XDR_MC", "XK_XDR_LB", "XK_XDR_SHXYM", "XK_XDR_GSZC", "XK_XDR_ZZJG", "XK_XDR_SWDJ", "XK_XDR_SYDW",
    "XK_XDR_SHZZ", "XK_FRDB", "XK_FR_ZJLX", "XK_FR_ZJHM", "XK_XDR_ZJLX", "XK_XDR_ZJHM",
    "XK_XKWS", "XK_WSH", "XK_XKLB", "XK_XKZS", "XK_XKBH", "XK_NR", "XK_JDRQ", "XK_YXQZ", "XK_YXQZI", "XK_XKJG",
    "XK_XKJGDM", "XK_ZT", "XK_LYDW", "XK_LYDWDM", "BZ",
]
CF_FIELDS = [
    "CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_XDR_GSZC", "CF_XDR_ZZJG", "CF_XDR_SWDJ", "CF_XDR_SYDW",
    "CF_XDR_SHZZ", "CF_FRDB", "CF_FR_ZJLX", "CF_FR_ZJHM", "CF_XDR_ZJLX", "CF_XDR_ZJHM",
    "CF_WSH", "CF_WFXW", "CF_SY", "CF_YJ", "CF_CFLB", "CF_AJCXLB", "CF_NR", "CF_NR_FK", "CF_NR_WFFF", "CF_NR_ZKDX",
    "CF_JDRQ", "CF_YXQ", "CF_GSJZQ", "CF_CFJG", "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM", "BZ",
]


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[services.LoadReport]:
    """Load the catalog once for the module; each test then runs in its own rolled-back savepoint."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield services.load_initial_catalog(actor=ACTOR)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def fields_of(code: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in queries.published_version(code).fields}


# --- what is loaded ---

def test_initial_catalog_loads_every_entry_published(loaded: services.LoadReport) -> None:
    assert loaded.entries_created == CatalogEntry.objects.count() >= 25
    assert loaded.departments_created == Department.objects.count()
    assert (loaded.entries_drafted, loaded.entries_unchanged, loaded.departments_updated) == (0, 0, 0)
    catalog = queries.published_catalog()
    assert len(catalog) == loaded.entries_created
    assert {v.entry.info_class for v in catalog} == {"basic", "adverse", "trustworthy"}
    assert all(v.consultation_skipped_reason and v.number == 1 for v in catalog)
    assert not CatalogVersion.objects.exclude(state=VersionState.PUBLISHED).exists()


@pytest.mark.parametrize(("article", "codes"), COVERAGE.items())
def test_every_item_of_articles_10_to_12_is_covered(loaded: services.LoadReport, article: str,
                                                    codes: list[str]) -> None:
    paragraph, item = article[: article.index("款") + 1], article[article.index("款") + 1:]
    for code in codes:
        basis = queries.published_version(code).legal_basis
        assert paragraph in basis, code
        assert item in basis[basis.index(paragraph):], code


def test_every_entry_cites_an_article_item_covered_above(loaded: services.LoadReport) -> None:
    listed = {code for codes in COVERAGE.values() for code in codes}
    market = {"market-self-declared", "market-agency-shared"}  # Art. 15, 17: market credit information
    assert {v.entry.code for v in queries.published_catalog()} == listed | market


def test_classes_follow_the_articles(loaded: services.LoadReport) -> None:
    for article, codes in COVERAGE.items():
        expected = {"十条": "basic", "十一": "adverse", "十二": "trustworthy"}[article[1:3]]
        for code in codes:
            assert queries.entry_by_code(code).info_class == expected, code


def test_licensing_uses_the_national_double_publicity_fields(loaded: services.LoadReport) -> None:
    for code in ("licensing-scjg", "licensing-jw"):
        version = queries.published_version(code)
        assert [f["name"] for f in version.fields] == XK_FIELDS
        assert version.natural_key == ["XK_WSH"]
        assert version.decision_date_field == "XK_JDRQ"
        assert version.submission_lag_workdays == 7
        assert version.open_level == "public"
    fields = fields_of("licensing-scjg")
    assert fields["XK_ZT"]["allowed"] == ["1", "2"]
    assert fields["XK_XDR_LB"]["allowed"] == ["法人及非法人组织", "自然人", "个体工商户"]
    assert fields["XK_XDR_SHXYM"]["special_values"] == ["00000000000000000X"]
    assert "00000000000000000X" in fields["XK_XDR_SHXYM"]["description"]
    assert fields["XK_XDR_GSZC"]["required_if"] == {"field": "XK_XDR_SHXYM", "in": ["00000000000000000X"]}
    assert fields["XK_XDR_ZJHM"]["personal"] is True


def test_penalties_use_the_national_fields_and_zhejiang_codes(loaded: services.LoadReport) -> None:
    for code in ("penalty-scjg", "penalty-sthj", "penalty-cgj"):
        version = queries.published_version(code)
        assert [f["name"] for f in version.fields] == CF_FIELDS
        assert (version.natural_key, version.decision_date_field) == (["CF_WSH"], "CF_JDRQ")
        assert (version.submission_lag_workdays, version.disclosure_months) == (7, 60)
        assert "(unverified)" in version.note
    fields = fields_of("penalty-scjg")
    categories = fields["CF_CFLB"]
    assert categories["allowed"] == [f"{n:02d}" for n in range(1, 15)]
    assert categories["allowed_labels"]["05"] == "吊销许可证"
    assert categories["allowed_labels"]["14"] == "责令关闭"
    assert fields["CF_AJCXLB"]["allowed_labels"] == {"01": "简易程序", "02": "一般程序"}
    for money in ("CF_NR_FK", "CF_NR_WFFF"):
        assert fields[money]["type"] == "decimal"
        assert "万元" in fields[money]["label"]
    assert fields["CF_NR_FK"]["required_if"] == {"field": "CF_CFLB", "in": ["02"]}


def test_penalty_repair_rules_follow_the_2025_severity_windows(loaded: services.LoadReport) -> None:
    repair = queries.published_version("penalty-scjg").repair_rules
    assert repair["ways"] == ["纠正失信行为", "承担相应法律责任", "接受诚信教育", "做出守信承诺"]
    assert repair["decide_within_workdays"] == 3
    windows = {s["level"]: (s["min_publicity_months"], s["max_publicity_months"]) for s in repair["severities"]}
    assert windows == {"minor": (0, 3), "general": (3, 12), "serious": (12, 36)}
    minor = repair["severities"][0]
    assert minor["publish"] is False
    assert {"field": "CF_AJCXLB", "in": ["01"]} in minor["match_any"]


def test_every_adverse_entry_has_repair_rules_and_a_disclosure_period(loaded: services.LoadReport) -> None:
    for version in queries.published_catalog():
        if version.entry.info_class == "adverse":
            assert version.repair_rules["ways"], version.entry.code
            assert version.repair_rules["decide_within_workdays"] == 3
            assert version.disclosure_months == 60
            assert version.decision_date_field
        else:
            assert version.repair_rules == {}


def test_natural_persons_are_not_public_except_where_law_publishes(loaded: services.LoadReport) -> None:
    public_with_persons = {v.entry.code for v in queries.published_catalog()
                           if "natural_person" in v.subject_kinds and v.open_level == "public"}
    # market-self-declared: a person publishes it by declaring it (Art. 15), marked self-declared
    assert public_with_persons == {"licensing-scjg", "licensing-jw", "penalty-scjg", "penalty-sthj", "penalty-cgj",
                                   "court-defaulter", "market-self-declared"}
    for code in ("person-identity", "transit-fare-evasion", "medical-insurance-fraud", "tax-arrears-person"):
        assert queries.published_version(code).open_level == "internal"
    assert queries.published_version("volunteering").open_level == "authorized"


def test_every_entry_binds_rows_to_subjects(loaded: services.LoadReport) -> None:
    for version in queries.published_catalog():
        if "natural_person" in version.subject_kinds:
            assert "resident_id" in version.subject_fields, version.entry.code
        if {"legal_person", "unincorporated_org"} & set(version.subject_kinds):
            assert "uscc" in version.subject_fields, version.entry.code


def test_consent_marked_for_donation_amount_and_no_prohibited_field(loaded: services.LoadReport) -> None:
    assert fields_of("charitable-donation")["amount"]["consent_required"] is True
    assert "blood_type" not in fields_of("blood-donation")
    consent = {(v.entry.code, f["name"]) for v in queries.published_catalog() for f in v.fields
               if f["consent_required"]}
    assert consent == {("charitable-donation", "amount")}


def test_departments_have_valid_codes(loaded: services.LoadReport) -> None:
    scjgj = queries.department_by_code("hz-scjgj")
    assert scjgj.name == "杭州市市场监督管理局"
    assert len(scjgj.uscc) == 18
    assert queries.entry_by_code("penalty-scjg").department == scjgj


# --- idempotence and all-or-nothing ---

def test_loading_twice_changes_nothing(loaded: services.LoadReport) -> None:
    counts = (Department.objects.count(), CatalogEntry.objects.count(), CatalogVersion.objects.count(),
              CatalogEvent.objects.count())
    again = services.load_initial_catalog(actor=ACTOR)
    assert not again.changed
    assert again.entries_unchanged == loaded.entries_created
    assert again.departments_unchanged == loaded.departments_created
    assert str(again).startswith("departments: created 0, updated 0")
    assert (Department.objects.count(), CatalogEntry.objects.count(), CatalogVersion.objects.count(),
            CatalogEvent.objects.count()) == counts


def test_a_changed_entry_becomes_a_draft_for_consultation(loaded: services.LoadReport, tmp_path: Path) -> None:
    doc = shipped()
    entry = next(e for e in doc["entries"] if e["code"] == "tax-credit-a")
    entry["version"]["note"] += "（修订）"
    path = write(tmp_path, doc)
    report = services.load_initial_catalog(path, actor=ACTOR)
    assert (report.entries_drafted, report.entries_unchanged) == (1, loaded.entries_created - 1)
    versions = queries.versions_of(queries.entry_by_code("tax-credit-a"))
    assert [(v.number, v.state) for v in versions] == [(1, "published"), (2, "draft")]
    assert not services.load_initial_catalog(path, actor=ACTOR).changed  # the same draft is not made twice


def test_a_renamed_department_is_updated_and_an_inactive_one_stays_inactive(loaded: services.LoadReport,
                                                                           tmp_path: Path) -> None:
    services.update_department(queries.department_by_code("hz-sjzyj"), is_active=False, actor=ACTOR)
    doc = shipped()
    next(d for d in doc["departments"] if d["code"] == "hz-kjj")["name"] = "杭州市科技局"
    report = services.load_initial_catalog(write(tmp_path, doc), actor=ACTOR)
    assert (report.departments_updated, report.departments_unchanged) == (1, loaded.departments_created - 1)
    assert queries.department_by_code("hz-kjj").name == "杭州市科技局"
    assert queries.department_by_code("hz-sjzyj").is_active is False


def test_open_version_with_other_content_is_never_overwritten(loaded: services.LoadReport, tmp_path: Path) -> None:
    services.create_draft_version(queries.entry_by_code("tax-credit-a"),
                                  **services.version_content(queries.published_version("tax-credit-a"))
                                  | {"note": "操作员的修改"}, actor=ACTOR)
    doc = shipped()
    next(e for e in doc["entries"] if e["code"] == "tax-credit-a")["version"]["note"] = "文件中的修改"
    with pytest.raises(Conflict, match="tax-credit-a"):
        services.load_initial_catalog(write(tmp_path, doc), actor=ACTOR)


def test_conflict_with_the_database_rolls_back_everything(loaded: services.LoadReport, tmp_path: Path) -> None:
    doc = shipped()
    doc["departments"].append({"code": "hz-new", "name": "杭州市新局"})
    doc["entries"].append({**doc["entries"][0], "code": "brand-new", "department": "hz-new"})
    next(e for e in doc["entries"] if e["code"] == "tax-credit-a")["info_class"] = "basic"
    with pytest.raises(Conflict, match="tax-credit-a"):
        services.load_initial_catalog(write(tmp_path, doc), actor=ACTOR)
    assert not Department.objects.filter(code="hz-new").exists()
    assert not CatalogEntry.objects.filter(code="brand-new").exists()


# --- reads ---

def test_published_version_not_found(loaded: services.LoadReport) -> None:
    from pubcredit.errors import NotFound

    with pytest.raises(NotFound, match="不存在"):
        queries.published_version("no-such-entry")
    services.retire(queries.published_version("tax-credit-a"), actor=ACTOR)
    with pytest.raises(NotFound, match="没有已发布的版本"):
        queries.published_version("tax-credit-a")


def test_catalog_reads_take_a_fixed_number_of_queries(loaded: services.LoadReport,
                                                      django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        catalog = queries.published_catalog()
        names = [(v.entry.code, v.entry.department.name) for v in catalog]
    assert len(names) == loaded.entries_created
    with django_assert_num_queries(2):
        entries = queries.entries_with_versions()
        numbers = [v.number for e in entries for v in e.versions.all()]
    assert len(numbers) == loaded.entries_created
    with django_assert_num_queries(1):
        queries.published_version("penalty-scjg").entry.department.code  # noqa: B018
