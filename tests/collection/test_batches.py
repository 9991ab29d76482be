"""Batches through the service: rejection reasons, idempotency, versions, subjects (issue #3 items 3–5)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import Workbook

from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog.models import Department
from pubcredit.collection import services
from pubcredit.collection.models import Batch, BatchRejection, BatchStatus, NameReview, Record, RecordStatus
from pubcredit.collection.readers import SNIFF_BYTES, rows_from_dicts
from pubcredit.errors import Conflict, InvalidInput, NotFound, NotPermitted
from pubcredit.subjects import pii
from pubcredit.subjects.models import Subject, SubjectRelation
from tests.collection.conftest import (
    ACTOR,
    AUTHORITY_USCC,
    penalty_row,
    person_penalty_row,
    submit,
    submit_file,
    write_csv,
    write_jsonl,
)
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


def reasons(batch: Batch) -> dict[int, tuple[str, str]]:
    return {r.row_number: (r.field, r.reason) for r in batch.rejections.all()}


def one_rejection(dept: Department, row: dict[str, Any], **kw: Any) -> tuple[str, str]:
    batch = submit(dept, [row], **kw)
    assert (batch.rejected, batch.accepted) == (1, 0), reasons(batch)
    return reasons(batch)[1]


# --- acceptance ------------------------------------------------------------------------------

def test_a_valid_batch_is_collected_with_typed_values_and_disclosure(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    batch = submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州甲科技有限公司", CF_NR_FK="0.2000",
                                      CF_JDRQ="2025/3/3", CF_CFLB="罚款")])
    assert batch.status == BatchStatus.COMPLETED
    assert (batch.row_count, batch.accepted, batch.rejected) == (1, 1, 0)
    record = Record.objects.get(batch=batch)
    assert record.subject == company
    assert record.data["CF_NR_FK"] == "0.2"
    assert record.data["CF_JDRQ"] == "2025-03-03"
    assert record.data["CF_CFLB"] == "02"  # the label of an enum code is accepted and stored as the code
    assert record.decision_date == date(2025, 3, 3)
    assert record.disclosure_until == date(2030, 3, 3)  # 60 months (Art. 36, Zhejiang five years)
    assert (record.version, record.status, record.info_class, record.open_level) == (1, "active", "adverse",
                                                                                     "public")
    assert "CF_XDR_GSZC" not in record.data  # empty values are not stored


def test_unknown_subjects_are_created_unverified_with_the_submitted_name(dept: Department) -> None:
    code = f.uscc()
    batch = submit(dept, [penalty_row(code, CF_XDR_MC="杭州新开张餐饮管理有限公司")])
    subject = Subject.objects.get(uscc=code)
    assert (subject.name, subject.verified, subject.kind) == ("杭州新开张餐饮管理有限公司", False, "legal_person")
    assert subject.source == f"报送批次 #{batch.pk}"
    assert subject.region_code == code[2:8]


def test_an_individual_business_code_makes_an_unincorporated_org(dept: Department) -> None:
    code = f.uscc(org_type="2")
    submit(dept, [penalty_row(code, CF_XDR_MC="西湖区张三面馆", CF_XDR_LB="个体工商户", CF_FRDB=None)])
    assert Subject.objects.get(uscc=code).kind == "unincorporated_org"


def test_a_person_is_registered_by_hash_encrypted_and_masked(dept: Department) -> None:
    rid = f.resident_id()
    batch = submit(dept, [person_penalty_row(rid, name="李四")])
    assert batch.accepted == 1, reasons(batch)
    person = Subject.objects.get(resident_id_hash=pii.resident_id_hash(rid))
    assert (person.kind, person.name, person.verified) == ("natural_person", "李四", False)
    assert pii.decrypt_resident_id(person.resident_id_enc) == rid
    record = Record.objects.get(batch=batch)
    assert record.subject == person
    assert record.data["CF_XDR_ZJHM"] == rid[:6] + "********" + rid[14:]


def test_a_contradicting_name_is_accepted_but_flagged_for_review(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    rows = [penalty_row(company.uscc, CF_XDR_MC="杭州乙贸易有限公司"),
            penalty_row(company.uscc, CF_XDR_MC="杭州乙贸易有限公司"),
            penalty_row(company.uscc, CF_XDR_MC="杭州甲科技有限公司 ")]  # same name, stray space
    batch = submit(dept, rows)
    assert batch.accepted == 3
    reviews = list(NameReview.objects.filter(batch=batch).order_by("row_number"))
    assert [(r.row_number, r.submitted_name, r.known_name) for r in reviews] == [
        (1, "杭州乙贸易有限公司", "杭州甲科技有限公司")]
    company.refresh_from_db()
    assert company.name == "杭州甲科技有限公司"  # never silently renamed
    again = submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州乙贸易有限公司")])
    assert not NameReview.objects.filter(batch=again).exists()  # one open review per name is enough


def test_full_width_brackets_are_the_same_name(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司（滨江）")
    batch = submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州甲科技有限公司(滨江)")])
    assert not NameReview.objects.filter(batch=batch).exists()


# --- rejection reasons ---------------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"CF_WSH": None}, "CF_WSH", "必填项"),
    ({"CF_NR_FK": None}, "CF_NR_FK", "CF_CFLB（处罚类别） 为“02”时必填"),
    ({"CF_JDRQ": "2025-02-30"}, "CF_JDRQ", "不是有效日期"),
    ({"CF_JDRQ": "3/3/2025"}, "CF_JDRQ", "YYYY-MM-DD"),
    ({"CF_NR_FK": "2,000"}, "CF_NR_FK", "千分位"),
    ({"CF_NR_FK": "0.1234567"}, "CF_NR_FK", "最多 6 位小数"),
    ({"CF_NR_FK": "1234567890123"}, "CF_NR_FK", "整数部分最多 12 位"),
    ({"CF_CFLB": "99"}, "CF_CFLB", "不在允许的取值中"),
    ({"CF_WSH": "号" * 129}, "CF_WSH", "不能超过 128 个字符"),
    ({"CF_XDR_SHXYM": "91330106MA0AEH7Y1A"}, "CF_XDR_SHXYM", "第18位校验码应为"),
    ({"CF_CFJGDM": "9133010"}, "CF_CFJGDM", "应为18位"),
    ({"CF_XDR_SHXYM": None}, "CF_XDR_SHXYM", "为“法人及非法人组织”时必填"),
    ({"CF_YXQ": "2025-03-02"}, "CF_YXQ", "早于决定日期"),
])
def test_field_rejections_name_field_and_problem(dept: Department, overrides: dict[str, Any], field: str,
                                                 words: str) -> None:
    got_field, reason = one_rejection(dept, penalty_row(**overrides))
    assert got_field == field
    assert words in reason
    assert reason.startswith(field)  # 字段名（中文名）：原因


def test_all_problems_of_a_row_are_reported_together(dept: Department) -> None:
    _field, reason = one_rejection(dept, penalty_row(CF_WSH=None, CF_JDRQ="x"))
    assert "CF_WSH" in reason
    assert "CF_JDRQ" in reason


def test_no_decision_in_the_future(dept: Department) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    field, reason = one_rejection(dept, penalty_row(CF_JDRQ=tomorrow.isoformat(),
                                                    CF_YXQ=(tomorrow + timedelta(days=9)).isoformat()))
    assert field == "CF_JDRQ"
    assert "晚于今天" in reason


def test_no_end_before_start(catalog: None) -> None:
    dept = catalog_queries.department_by_code("hz-scjgj")
    row = {"XK_XDR_MC": "杭州甲公司", "XK_XDR_LB": "法人及非法人组织", "XK_XDR_SHXYM": f.uscc(), "XK_FRDB": "王五",
           "XK_XKWS": "准予许可决定书", "XK_WSH": "杭市监许〔2025〕1号", "XK_XKLB": "普通", "XK_NR": "食品经营",
           "XK_JDRQ": "2025-03-03", "XK_YXQZ": "2025-03-03", "XK_YXQZI": "2025-03-01", "XK_XKJG": "杭州市市场监管局",
           "XK_XKJGDM": AUTHORITY_USCC, "XK_ZT": "1", "XK_LYDW": "杭州市市场监管局", "XK_LYDWDM": AUTHORITY_USCC}
    field, reason = one_rejection(dept, row, entry="licensing-scjg")
    assert field == "XK_YXQZI"
    assert "早于 XK_YXQZ（有效期自）" in reason
    assert submit(dept, [{**row, "XK_YXQZI": "2030-03-01"}], entry="licensing-scjg").accepted == 1


def test_the_no_code_placeholder_needs_the_registration_number_then_cannot_bind(dept: Department) -> None:
    row = penalty_row("00000000000000000X", CF_XDR_LB="个体工商户", CF_FRDB=None)
    field, reason = one_rejection(dept, row)
    assert field == "CF_XDR_GSZC"
    assert "必填" in reason
    field, reason = one_rejection(dept, {**row, "CF_XDR_GSZC": "330106600123456"})
    assert field == "CF_XDR_SHXYM"
    assert "占位值" in reason


def test_a_person_id_in_an_organisation_only_entry(catalog: None) -> None:
    dept = catalog_queries.department_by_code("hz-scjgj")
    row = {"uscc": f.resident_id(), "name": "张三", "listed_reason": "未按期公示年报", "decision_no": "杭异〔2025〕1号",
           "listed_on": "2025-03-03", "listing_authority": "杭州市市场监管局"}
    field, reason = one_rejection(dept, row, entry="business-anomaly")
    assert field == "uscc"
    assert "只适用于法人、非法人组织，不能报送自然人" in reason


def test_a_person_without_a_resident_id_cannot_be_bound(dept: Department) -> None:
    field, reason = one_rejection(dept, person_penalty_row("E12345678", CF_XDR_ZJLX="护照号"))
    assert field == "CF_XDR_ZJLX"
    assert "居民身份证" in reason
    field, reason = one_rejection(dept, person_penalty_row("330106198506151235"))
    assert field == "CF_XDR_ZJHM"
    assert "身份证号码无效" in reason


def test_a_row_without_subject_code(dept: Department) -> None:
    field, _reason = one_rejection(dept, penalty_row(CF_XDR_LB="自然人", CF_XDR_SHXYM=None, CF_FRDB=None,
                                                    CF_XDR_ZJLX="身份证"))
    assert field == "CF_XDR_ZJHM"  # required for 自然人


def test_duplicate_natural_key_in_one_batch_names_the_earlier_row(dept: Department) -> None:
    first = penalty_row()
    batch = submit(dept, [first, penalty_row(), {**first, "CF_SY": "另一事实"}])
    assert (batch.accepted, batch.rejected) == (2, 1)
    assert reasons(batch)[3] == ("CF_WSH",
                                 "CF_WSH（行政处罚决定书文号）：与本批第 1 条数据的业务主键相同（同一批次内重复）")


def test_unknown_and_prohibited_columns_refuse_the_whole_file(dept: Department, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "extra.csv", [{**penalty_row(), "LXDH": "13800000000"}])
    with pytest.raises(InvalidInput, match="没有的列：LXDH"):
        submit_file(dept, path)
    path = write_csv(tmp_path / "faith.csv", [{**penalty_row(), "宗教信仰": "无"}])
    with pytest.raises(InvalidInput, match="第三十七条禁止采集的列：宗教信仰（宗教信仰）"):
        submit_file(dept, path)
    assert not Record.objects.exists()
    failed = list(Batch.objects.values_list("status", "error"))
    assert [s for s, _ in failed] == ["failed", "failed"]  # recorded for the quality figures (Art. 51)
    with pytest.raises(InvalidInput, match="禁止采集的列：GPS（行踪信息）"):
        submit(dept, rows_from_dicts([penalty_row(), {**penalty_row(), "GPS": "1"}]))
    assert not Record.objects.exists()


def test_labels_work_as_column_names(dept: Department, tmp_path: Path) -> None:
    row = penalty_row()
    labels = {s["name"]: s["label"] for s in catalog_queries.published_version("penalty-scjg").fields}
    path = write_csv(tmp_path / "labels.csv", [{labels[k]: v for k, v in row.items()}])
    assert submit_file(dept, path).accepted == 1


def test_a_malformed_row_is_rejected_alone(dept: Department, tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    write_jsonl(path, [penalty_row()])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    batch = submit_file(dept, path)
    assert (batch.accepted, batch.rejected) == (1, 1)
    assert "JSON" in reasons(batch)[2][1]


# --- consent (Art. 37 para. 3) ------------------------------------------------------------------

def donation(rid: str) -> dict[str, Any]:
    return {"party_name": "李四", "party_kind": "个人", "party_resident_id": rid, "recipient": "杭州市慈善总会",
            "recipient_uscc": AUTHORITY_USCC, "donation_form": "货币", "amount": "500", "receipt_no": f"R-{rid[-6:]}",
            "donated_on": "2025-05-01"}


def test_consent_refused_without_and_accepted_with_a_written_consent(catalog: None) -> None:
    dept = catalog_queries.department_by_code("hz-mzj")
    rid = f.resident_id()
    field, reason = one_rejection(dept, donation(rid), entry="charitable-donation")
    assert field == "amount"
    assert "第三十七条第三款" in reason
    assert "书面同意" in reason
    person = f.person("李四", code=rid)
    consent = services.record_consent(subject=person, department=dept, category="property",
                                      document_ref="杭民同意〔2025〕1号", given_on=date(2025, 1, 1), actor=ACTOR)
    assert submit(dept, [donation(rid)], entry="charitable-donation").accepted == 1
    services.withdraw_consent(consent, department=dept, actor=ACTOR)
    later = {**donation(rid), "receipt_no": "R-2"}
    assert one_rejection(dept, later, entry="charitable-donation")[0] == "amount"
    # an organisation's donation needs no consent
    org_row = {**donation(rid), "party_kind": "单位", "party_resident_id": None, "party_uscc": f.uscc(),
               "party_name": "杭州甲公司", "receipt_no": "R-3"}
    assert submit(dept, [{k: v for k, v in org_row.items() if v}], entry="charitable-donation").accepted == 1


def test_consent_must_be_valid_on_the_day_of_collection(catalog: None) -> None:
    """Art. 37 para. 3 is about collecting: an expired consent covers nothing, even for a donation made
    while it ran (a reviewer's finding, session 12); a consent in force now covers an earlier one."""
    dept = catalog_queries.department_by_code("hz-mzj")
    rid = f.resident_id()
    person = f.person("李四", code=rid)
    services.record_consent(subject=person, department=dept, category="property", document_ref="D-1",
                            given_on=date(2025, 1, 1), expires_on=date(2025, 6, 30), actor=ACTOR)
    field, reason = one_rejection(dept, donation(rid), entry="charitable-donation")  # donated 2025-05-01
    assert field == "amount"
    assert f"在 {timezone.localdate().isoformat()} 有效的书面同意" in reason
    services.record_consent(subject=person, department=dept, category="property", document_ref="D-2",
                            given_on=timezone.localdate() - timedelta(days=3), actor=ACTOR)
    assert submit(dept, [donation(rid)], entry="charitable-donation").accepted == 1


def test_consent_service_checks(catalog: None) -> None:
    dept = catalog_queries.department_by_code("hz-mzj")
    person, company = f.person("李四"), f.org()
    with pytest.raises(InvalidInput, match="自然人"):
        services.record_consent(subject=company, department=dept, category="property", document_ref="D",
                                given_on=date(2025, 1, 1), actor=ACTOR)
    with pytest.raises(InvalidInput, match="同意事项"):
        services.record_consent(subject=person, department=dept, category="religion", document_ref="D",
                                given_on=date(2025, 1, 1), actor=ACTOR)
    with pytest.raises(InvalidInput, match="文书编号"):
        services.record_consent(subject=person, department=dept, category="tax_amount", document_ref=" ",
                                given_on=date(2025, 1, 1), actor=ACTOR)
    with pytest.raises(InvalidInput, match="有效期至"):
        services.record_consent(subject=person, department=dept, category="tax_amount", document_ref="D",
                                given_on=date(2025, 1, 1), expires_on=date(2024, 1, 1), actor=ACTOR)
    consent = services.record_consent(subject=person, department=dept, category="tax_amount", document_ref="D",
                                      given_on=date(2025, 1, 1), actor=ACTOR)
    with pytest.raises(NotPermitted):
        services.withdraw_consent(consent, department=catalog_queries.department_by_code("hz-swj"), actor=ACTOR)
    services.withdraw_consent(consent, department=dept, actor=ACTOR)
    with pytest.raises(Conflict):
        services.withdraw_consent(consent, department=dept, actor=ACTOR)


# --- idempotency, versions, revocation -------------------------------------------------------------

def test_resending_the_same_batch_changes_nothing(dept: Department, tmp_path: Path) -> None:
    rows = [penalty_row(), penalty_row(), person_penalty_row(f.resident_id())]
    path = write_csv(tmp_path / "b.csv", rows)
    first = submit_file(dept, path)
    assert first.accepted == 3
    records = sorted(Record.objects.values_list("id", "natural_key", "version", "status", "content_hash"))
    subjects = Subject.objects.count()
    second = submit_file(dept, path)
    assert (second.accepted, second.updated, second.unchanged, second.rejected) == (0, 0, 3, 0)
    assert sorted(Record.objects.values_list("id", "natural_key", "version", "status", "content_hash")) == records
    assert Subject.objects.count() == subjects
    assert first.file_digest == second.file_digest
    assert len(first.file_digest) == 64


def test_a_changed_row_becomes_a_new_version_and_the_old_is_kept(dept: Department) -> None:
    row = penalty_row()
    submit(dept, [row])
    corrected = submit(dept, [{**row, "CF_NR_FK": "3", "CF_NR": "罚款人民币三万元"}])
    assert (corrected.accepted, corrected.updated, corrected.unchanged) == (0, 1, 0)
    versions = list(Record.objects.filter(natural_key=row["CF_WSH"]).order_by("version"))
    assert [(r.version, r.status) for r in versions] == [(1, "superseded"), (2, "active")]
    assert versions[0].data["CF_NR_FK"] == "2"
    assert versions[1].data["CF_NR_FK"] == "3"
    assert versions[0].status_reason == f"由报送批次 #{corrected.pk} 更正"
    assert submit(dept, [{**row, "CF_NR_FK": "3", "CF_NR": "罚款人民币三万元"}]).unchanged == 1


def test_moving_a_record_to_another_subject_is_a_change(dept: Department) -> None:
    rid = f.resident_id(birth=date(1990, 1, 1))
    row = person_penalty_row(rid)
    submit(dept, [row])
    other = rid[:6] + "19910101" + rid[14:17]
    from pubcredit.codes import compute_resident_id_check

    other = other + compute_resident_id_check(other)
    moved = submit(dept, [{**row, "CF_XDR_ZJHM": other}])
    assert moved.updated == 1


def test_revocation_by_the_source_department_only(dept: Department) -> None:
    row = penalty_row()
    submit(dept, [row])
    record = Record.objects.get(natural_key=row["CF_WSH"])
    other = catalog_queries.department_by_code("hz-mzj")
    # Another department learns nothing about the record: by id it is "not found", as a missing one
    # is; by key it is refused for the entry it does not provide, before any look-up.
    with pytest.raises(NotFound) as by_id:
        services.revoke_record(record.pk, department=other, reason="错报", actor=ACTOR)
    with pytest.raises(NotFound) as missing:
        services.revoke_record(record.pk + 10_000, department=other, reason="错报", actor=ACTOR)
    assert by_id.value.message == missing.value.message
    for key in (row["CF_WSH"], "没有这个文号"):
        with pytest.raises(NotPermitted, match="不由本部门提供"):
            services.revoke_record(("penalty-scjg", key), department=other, reason="错报", actor=ACTOR)
    assert Record.objects.get(pk=record.pk).status == RecordStatus.ACTIVE
    with pytest.raises(InvalidInput):
        services.revoke_record(record.pk, department=dept, reason="  ", actor=ACTOR)
    revoked = services.revoke_record(("penalty-scjg", {"CF_WSH": row["CF_WSH"]}), department=dept,
                                     reason="处罚决定已被复议撤销", actor=ACTOR)
    assert (revoked.pk, revoked.status, revoked.status_reason) == (record.pk, RecordStatus.REVOKED,
                                                                   "处罚决定已被复议撤销")
    with pytest.raises(Conflict):
        services.revoke_record(record.pk, department=dept, reason="再撤", actor=ACTOR)
    with pytest.raises(NotFound):
        services.revoke_record(("penalty-scjg", "没有这个文号"), department=dept, reason="x", actor=ACTOR)
    # a resend cannot bring it back
    field, reason = one_rejection(dept, row)
    assert field == "CF_WSH"
    assert "撤销" in reason


def test_only_the_active_version_can_be_revoked(dept: Department) -> None:
    row = penalty_row()
    submit(dept, [row])
    submit(dept, [{**row, "CF_SY": "更正后的事实"}])
    old = Record.objects.get(natural_key=row["CF_WSH"], version=1)
    with pytest.raises(Conflict, match="现行版本"):
        services.revoke_record(old.pk, department=dept, reason="x", actor=ACTOR)


# --- who may submit ---------------------------------------------------------------------------------

def test_a_department_cannot_submit_under_another_departments_entry(catalog: None) -> None:
    other = catalog_queries.department_by_code("hz-mzj")
    with pytest.raises(NotPermitted, match="第十三条"):
        submit(other, [penalty_row()])
    assert not Batch.objects.exists()
    assert not Record.objects.exists()
    assert not Subject.objects.exists()


def test_unknown_entry_and_channel(dept: Department) -> None:
    with pytest.raises(NotFound):
        submit(dept, [penalty_row()], entry="no-such-entry")
    with pytest.raises(InvalidInput):
        submit(dept, [penalty_row()], channel="fax")


# --- files -------------------------------------------------------------------------------------------

def test_gb18030_csv_xlsx_and_json_lines_give_the_same_records(dept: Department, tmp_path: Path) -> None:
    base = [penalty_row(CF_XDR_MC="杭州甲科技有限公司", CF_SY="经查，当事人销售过期食品；涉及“特供”字样")]
    gb = write_csv(tmp_path / "gb.csv", base, encoding="gb18030")
    batch = submit_file(dept, gb)
    assert (batch.accepted, batch.file_format, batch.encoding) == (1, "csv", "gb18030")
    stored = Record.objects.get(batch=batch).data
    book = Workbook()
    sheet = book.active
    columns = list(base[0])
    sheet.append(columns)
    sheet.append([base[0][c] if c != "CF_NR_FK" else 2 for c in columns])
    book.save(tmp_path / "rows.xlsx")
    xlsx = submit_file(dept, tmp_path / "rows.xlsx")
    assert (xlsx.unchanged, xlsx.file_format) == (1, "xlsx")  # same content: nothing new
    jsonl = submit_file(dept, write_jsonl(tmp_path / "rows.jsonl", base))
    assert (jsonl.unchanged, jsonl.file_format) == (1, "jsonl")
    assert Record.objects.get().data == stored


def test_rejected_rows_csv_gives_back_the_rows_to_fix(dept: Department, tmp_path: Path) -> None:
    rid = f.resident_id()
    rows = [penalty_row(), person_penalty_row(rid, CF_JDRQ="2025-02-30"), penalty_row(CF_CFLB="99")]
    path = write_csv(tmp_path / "mixed.csv", rows)
    batch = submit_file(dept, path)
    text = "".join(services.rejected_rows_csv(batch))
    assert text.startswith("\ufeff")
    lines = text[1:].splitlines()
    header = lines[0].split(",")
    assert header[-3:] == ["行号", "字段", "原因"]
    assert header[:-3] == list(rows[0]) + [
        c for c in rows[1] if c not in rows[0]]
    assert len(lines) == 3
    assert rid in lines[1]
    assert ",2,CF_JDRQ," in lines[1]
    assert ",3,CF_CFLB," in lines[2]
    # fixed rows resent alone are collected
    fixed = write_csv(tmp_path / "fixed.csv", [{**rows[1], "CF_JDRQ": "2025-02-28"}, {**rows[2], "CF_CFLB": "02"}])
    assert submit_file(dept, fixed).accepted == 2


# --- relations from basic-information entries ---------------------------------------------------------

def test_org_officers_create_persons_and_relations(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    boss_id = f.resident_id()
    rows = [{"uscc": company.uscc, "person_name": "王五", "position": "董事长", "person_id_no": boss_id},
            {"uscc": company.uscc, "person_name": "赵六", "position": "监事", "person_id_no": "E1234567"},
            {"uscc": company.uscc, "person_name": "钱七", "position": "财务负责人"}]
    batch = submit(dept, rows, entry="org-officers")
    assert batch.accepted == 3, reasons(batch)
    person = Subject.objects.get(resident_id_hash=pii.resident_id_hash(boss_id))
    assert (person.name, person.verified) == ("王五", False)
    relations = list(SubjectRelation.objects.filter(organization=company).values_list("related__name", "role"))
    assert relations == [("王五", "director")]  # no person invented from a bare name or a passport number
    stored = Record.objects.get(batch=batch, data__person_name="王五").data
    assert stored["person_id_no"] == boss_id[:6] + "********" + boss_id[14:]
    assert submit(dept, rows, entry="org-officers").unchanged == 3
    assert SubjectRelation.objects.filter(organization=company).count() == 1


def test_branches_are_related(dept: Department) -> None:
    parent = f.org("杭州甲科技有限公司")
    branch_code = f.uscc()
    row = {"uscc": parent.uscc, "branch_uscc": branch_code, "branch_name": "杭州甲科技有限公司滨江分公司",
           "registration_authority": "滨江区市场监管局", "established_on": "2020-01-01", "status": "存续"}
    fields = {s["name"] for s in catalog_queries.published_version("org-branches").fields}
    batch = submit(dept, [{k: v for k, v in row.items() if k in fields}], entry="org-branches")
    assert batch.accepted == 1, reasons(batch)
    branch = Subject.objects.get(uscc=branch_code)
    assert SubjectRelation.objects.filter(organization=parent, related=branch, role="branch").exists()


# --- bulk: query counts do not grow with the batch; no clear IDs at rest -------------------------------

def test_query_count_does_not_grow_with_rows(dept: Department, django_assert_max_num_queries: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(n: int) -> int:
        rows = [penalty_row() for _ in range(n // 2)] + [person_penalty_row(f.resident_id()) for _ in range(n // 2)]
        rows[0]["CF_JDRQ"] = "bad"
        with CaptureQueriesContext(connection) as ctx:
            batch = submit(dept, rows)
        assert batch.accepted == n - 1
        return len(ctx.captured_queries)

    small, large = count(10), count(200)
    assert small == large
    with django_assert_max_num_queries(small):
        submit(dept, [penalty_row() for _ in range(50)])


def _tables_containing(text: str) -> list[str]:
    from django.db import connection

    hits = []
    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cur.fetchall():
            cur.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', [f"%{text}%"])
            if cur.fetchone()[0]:
                hits.append(table)
    return hits


def test_no_resident_id_in_clear_anywhere_after_ingesting(dept: Department) -> None:
    subject_id, rep_id, officer_id, bad_id = f.resident_id(), f.resident_id(), f.resident_id(), f.resident_id()
    company = f.org()
    submit(dept, [person_penalty_row(subject_id), penalty_row(company.uscc, CF_FR_ZJLX="身份证", CF_FR_ZJHM=rep_id),
                  person_penalty_row(bad_id, CF_JDRQ="bad")])  # a rejected row keeps its ID encrypted
    submit(dept, [{"uscc": company.uscc, "person_name": "王五", "position": "经理", "person_id_no": officer_id}],
           entry="org-officers")
    assert BatchRejection.objects.count() == 1
    for rid in (subject_id, rep_id, officer_id, bad_id):
        assert _tables_containing(rid) == []
        assert _tables_containing(rid[6:14] + rid[14:]) == []


def test_text_with_copy_control_characters_is_stored_as_sent(dept: Department) -> None:
    """Backslashes, tabs, line breaks and quotes inside values survive the staging COPY intact."""
    facts = '经查，当事人\t销售"过期"食品\\第1批\r\n第2批\\N'
    batch = submit(dept, [penalty_row(CF_SY=facts, CF_WFXW="违反\\规定\n第三十四条"),
                          penalty_row(CF_SY=facts, CF_JDRQ="2025-13-01")])
    assert (batch.accepted, batch.rejected) == (1, 1)
    record = Record.objects.get(batch=batch)
    assert record.data["CF_SY"] == facts
    assert record.data["CF_WFXW"] == "违反\\规定\n第三十四条"
    rejection = BatchRejection.objects.get(batch=batch)
    assert rejection.raw["CF_SY"] == facts


def test_switch_interval_is_shortened_while_batches_run_and_restored_after() -> None:
    import sys

    before = sys.getswitchinterval()
    with services._responsive_switching():
        assert sys.getswitchinterval() == pytest.approx(services._SWITCH_INTERVAL)
        with services._responsive_switching():  # a second batch in another thread
            pass
        assert sys.getswitchinterval() == pytest.approx(services._SWITCH_INTERVAL)  # still running: still short
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_nul_character_inside_a_file_rejects_its_row_only(dept: Department, tmp_path: Path, kind: str) -> None:
    # A NUL in a file's first bytes means a binary file (refused whole); one further down is a value
    # the database cannot store: that row is refused, naming the field, and the rest are kept.
    # (An .xlsx cannot hold one: XML has no NUL.)
    rows = [penalty_row() for _ in range(SNIFF_BYTES // 300)] + [penalty_row(CF_WFXW="违反\x00规定")]
    path = write_csv(tmp_path / "p.csv", rows) if kind == "csv" else write_jsonl(tmp_path / "p.jsonl", rows)
    assert b"\x00" not in path.read_bytes()[:SNIFF_BYTES]
    batch = submit_file(dept, path)
    assert (batch.status, batch.accepted, batch.rejected) == (BatchStatus.COMPLETED, len(rows) - 1, 1)
    rejection = batch.rejections.get()
    assert (rejection.row_number, rejection.field) == (len(rows), "CF_WFXW")
    assert "U+0000" in rejection.reason


def test_a_lone_surrogate_in_a_json_lines_file_rejects_its_row_only(dept: Department, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [penalty_row(), penalty_row(CF_WFXW="标记"), penalty_row()])
    text = path.read_text(encoding="utf-8").replace("标记", "\\udc00")
    path.write_text(text, encoding="utf-8")
    batch = submit_file(dept, path)
    assert (batch.status, batch.accepted, batch.rejected) == (BatchStatus.COMPLETED, 2, 1)
    rejection = batch.rejections.get()
    assert rejection.row_number == 2
    assert "CF_WFXW" in rejection.reason
    assert "U+DC00" in rejection.reason
