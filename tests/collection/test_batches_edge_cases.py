"""Collection edge cases a reviewer found by probing (session 11): each was a wrong answer, a lost
value or a 500, and is pinned here with the behaviour the regulation and docs/collection.md ask for."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pubcredit.access import tokens
from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog.models import CatalogEntry, Department
from pubcredit.collection import rules, services
from pubcredit.collection.models import Batch, Record, RecordStatus
from tests.collection.conftest import PENALTY, penalty_row, person_penalty_row, submit, submit_file, write_csv
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


def _rejected(batch: Batch) -> tuple[list[str], list[dict[str, str]]]:
    text = "".join(services.rejected_rows_csv(batch)).lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _fix_and_write(text_rows: list[dict[str, str]], columns: list[str], path: Path, **changes: str) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in text_rows:
            writer.writerow([changes.get(c, row[c]) for c in columns])
    return path


# --- the rejected-rows file goes back as it is ---------------------------------------------------

def test_the_rejected_rows_file_is_sent_back_fixed_as_it_is_with_its_three_added_columns(
        dept: Department, tmp_path: Path) -> None:
    first = submit_file(dept, write_csv(tmp_path / "a.csv", [penalty_row(), penalty_row(CF_CFLB="99")]))
    assert (first.accepted, first.rejected) == (1, 1)
    columns, rows = _rejected(first)
    assert columns[-3:] == list(rules.REJECTION_COLUMNS)
    # The department changes the bad value and sends the very file back: 行号/字段/原因 are ignored.
    second = submit_file(dept, _fix_and_write(rows, columns, tmp_path / "fixed.csv", CF_CFLB="02"))
    assert (second.accepted, second.rejected) == (1, 0)
    # Still wrong on the second try: its own rejected-rows file has each added column once.
    third = submit_file(dept, _fix_and_write(rows, columns, tmp_path / "again.csv", CF_CFLB="98",
                                             CF_WSH=rows[0]["CF_WSH"] + "补"))
    assert third.rejected == 1
    again, _ = _rejected(third)
    assert again == columns


def test_a_workbook_row_rejected_comes_back_with_dates_the_validator_reads(dept: Department, tmp_path: Path) -> None:
    row = penalty_row(CF_CFLB="99")
    columns = list(row)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(columns)
    cells = {"CF_JDRQ": datetime(2025, 3, 3), "CF_YXQ": datetime(2026, 3, 3)}  # noqa: DTZ001 - Excel has no zones
    ws.append([cells.get(c, row[c]) for c in columns])
    wb.save(tmp_path / "x.xlsx")
    first = submit_file(dept, tmp_path / "x.xlsx")
    assert first.rejected == 1
    header, rows = _rejected(first)
    assert (rows[0]["CF_JDRQ"], rows[0]["CF_YXQ"]) == ("2025-03-03", "2026-03-03")
    second = submit_file(dept, _fix_and_write(rows, header, tmp_path / "fixed.csv", CF_CFLB="02"))
    assert (second.accepted, second.rejected) == (1, 0)


@pytest.mark.parametrize("value", ["enc:hello world", "enc:", "enc::x", "enc:AAAA"])
def test_a_value_that_starts_like_an_encrypted_one_comes_back_as_sent(dept: Department, value: str) -> None:
    batch = submit(dept, [penalty_row(CF_CFLB="99", BZ=value)])
    assert batch.rejected == 1
    _columns, rows = _rejected(batch)
    assert rows[0]["BZ"] == value


def test_personal_values_of_a_rejected_row_are_encrypted_at_rest_and_revealed_to_the_department(
        dept: Department) -> None:
    rid = f.resident_id()
    batch = submit(dept, [person_penalty_row(rid, CF_CFLB="99")])
    stored = batch.rejections.get().raw
    assert rid not in str(stored)
    assert str(stored["CF_XDR_ZJHM"]).startswith("enc:")
    _columns, rows = _rejected(batch)
    assert rows[0]["CF_XDR_ZJHM"] == rid


# --- one value per field ----------------------------------------------------------------------------

@pytest.mark.parametrize("second_key", ["罚款金额（万元）", "cf_nr_fk"])
def test_a_json_row_naming_one_field_twice_is_rejected_not_half_kept(dept: Department, second_key: str) -> None:
    row = penalty_row(CF_NR_FK="2")
    row[second_key] = "3"
    batch = submit(dept, [row])
    assert (batch.accepted, batch.rejected) == (0, 1)
    reason = batch.rejections.get().reason
    assert all(word in reason for word in ("CF_NR_FK", second_key, "都对应字段")), reason
    assert not Record.objects.filter(batch=batch).exists()


@pytest.mark.parametrize("header", ["Cf_Wsh", "cF_wSH", " cf_wsh "])
def test_a_header_names_its_field_in_any_case(dept: Department, tmp_path: Path, header: str) -> None:
    row = penalty_row()
    path = write_csv(tmp_path / "m.csv", [row])
    path.write_text(path.read_text(encoding="utf-8").replace("CF_WSH", header, 1), encoding="utf-8")
    batch = submit_file(dept, path)
    assert (batch.accepted, batch.rejected) == (1, 0)


def test_json_rows_name_their_fields_in_any_case_too(dept: Department) -> None:
    row = {("Cf_Wsh" if k == "CF_WSH" else k): v for k, v in penalty_row().items()}
    batch = submit(dept, [row])
    assert (batch.accepted, batch.rejected) == (1, 0)


# --- numbers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "stored"), [(0.00005, "0.00005"), (0.0001, "0.0001"), (12.5, "12.5"),
                                               (1e-6, "0.000001")])
def test_a_small_json_number_in_a_decimal_field_is_read_without_an_exponent(
        dept: Department, value: float, stored: str) -> None:
    batch = submit(dept, [penalty_row(CF_NR_FK=value)])
    assert (batch.accepted, batch.rejected) == (1, 0), [r.reason for r in batch.rejections.all()]
    assert Record.objects.get(batch=batch).data["CF_NR_FK"] == stored


def _volunteering_row(year: Any) -> tuple[Department, dict[str, Any]]:
    version = catalog_queries.published_version("volunteering")
    row: dict[str, Any] = {str(s["name"]): "" for s in version.fields}
    row["year"] = year
    return CatalogEntry.objects.get(code="volunteering").department, row


@pytest.mark.parametrize("year", ["1" * 5000, "1" * 19, 10**30, -(10**25)])
def test_an_integer_of_more_than_18_digits_is_rejected_naming_the_field(catalog: None, year: Any) -> None:
    department, row = _volunteering_row(year)
    batch = services.submit_batch(entry_code="volunteering", department=department, rows=[(1, row)],
                                  channel="api", actor="test")
    rejection = batch.rejections.get()
    assert rejection.field == "year"
    assert "整数最多 18 位" in rejection.reason


def test_an_integer_of_5000_digits_through_the_api_is_a_rejected_row_not_a_500(catalog: None) -> None:
    department, row = _volunteering_row("9" * 5000)
    issued = tokens.create_department_token(department, name="edge", actor="test")
    response = Client().post("/api/v1/catalog/volunteering/batches", {"rows": [row]}, content_type="application/json",
                             headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code in (200, 201), response.content
    assert response.json()["rejected"] == 1


# --- the back-office upload's digest ------------------------------------------------------------------

def test_a_back_office_upload_records_the_digest_of_the_whole_file(dept: Department) -> None:
    from pubcredit.access.models import Role, User
    from tests.access.helpers import login_verified

    officer = User.objects.create_user(username="edge-officer", password="x-Long-pass-1", role=Role.OFFICER,
                                       department=dept, is_staff=True)
    client = Client()
    login_verified(client, officer)
    buf = io.StringIO()
    rows = [penalty_row() for _ in range(400)]
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    assert len(data) > 70_000  # more than the reader's first read
    page = client.get("/officer/batches/")
    entry_id = next(e.pk for e in page.context["form"].fields["entry"].queryset if e.code == PENALTY)
    response = client.post("/officer/batches/", {"entry": entry_id, "file": SimpleUploadedFile("p.csv", data)})
    assert response.status_code == 302
    batch = Batch.objects.latest("pk")
    assert batch.accepted == 400
    assert batch.file_digest == hashlib.sha256(data).hexdigest()


# --- one spelling of a resident ID ------------------------------------------------------------------

def test_the_same_resident_id_typed_three_ways_is_one_record_stored_in_one_spelling(dept: Department) -> None:
    rid = next(r for r in (f.resident_id(sex="F") for _ in range(400)) if r.endswith("X"))
    row = person_penalty_row(rid)
    assert submit(dept, [row]).accepted == 1
    full_width = rid.translate({i: i + 0xFEE0 for i in range(0x21, 0x7F)})
    for spelled in (rid[:-1] + "x", full_width, f" {rid.lower()} "):
        batch = submit(dept, [{**row, "CF_XDR_ZJHM": spelled}])
        assert (batch.accepted, batch.updated, batch.unchanged) == (0, 0, 1), spelled
    stored = list(Record.objects.filter(natural_key=row["CF_WSH"]).values_list("version", "data__CF_XDR_ZJHM"))
    assert stored == [(1, rid[:6] + "********" + rid[-4:])]


def test_a_legal_representatives_id_is_stored_in_one_spelling_too(dept: Department) -> None:
    rid = next(r for r in (f.resident_id(sex="M") for _ in range(400)) if r.endswith("X"))
    batch = submit(dept, [penalty_row(CF_FRDB="王五", CF_FR_ZJLX="身份证", CF_FR_ZJHM=rid.lower())])
    assert batch.accepted == 1, [r.reason for r in batch.rejections.all()]
    assert Record.objects.get(batch=batch).data["CF_FR_ZJHM"] == rid[:6] + "********" + rid[-4:]


# --- a revocation while a batch of the entry runs ---------------------------------------------------

def test_a_revocation_committed_while_a_batch_waits_refuses_the_key_instead_of_a_500(
        dept: Department, monkeypatch: pytest.MonkeyPatch) -> None:
    row = penalty_row()
    submit(dept, [row])
    real = services.compile_version

    def compile_then_revoke(version: Any, **kw: Any) -> Any:
        validator = real(version, **kw)  # the revoked keys as they were before the revocation
        services.revoke_record((PENALTY, row["CF_WSH"]), department=dept, reason="决定已撤销", actor="test")
        return validator

    monkeypatch.setattr(services, "compile_version", compile_then_revoke)
    batch = submit(dept, [{**row, "BZ": "更正"}])
    assert (batch.accepted, batch.updated, batch.rejected) == (0, 0, 1)
    assert "撤销" in batch.rejections.get().reason
    assert list(Record.objects.filter(natural_key=row["CF_WSH"]).values_list("version", "status")) == [
        (1, RecordStatus.REVOKED)]


def test_a_revocation_holds_the_entrys_batch_lock(dept: Department) -> None:
    from django.db import connections

    row = penalty_row()
    submit(dept, [row])
    entry_id = CatalogEntry.objects.get(code=PENALTY).pk
    services.revoke_record((PENALTY, row["CF_WSH"]), department=dept, reason="撤销", actor="test")
    other = connections.create_connection("default")  # where a batch of the same entry would start
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [services._ENTRY_LOCK, entry_id])
            assert cur.fetchone() == (False,)  # held until the revocation's transaction ends: a batch waits
    finally:
        other.close()


# --- the officer's pages refuse a bad reader with an error page ----------------------------------

@pytest.mark.parametrize(("query", "headers", "status"), [
    ("?matter=%00", {}, 400), ("?purpose=%00", {}, 400),
    ("", {"Authorization": "Basic dXNlcjpwYXNz"}, 403), ("", {"Authorization": "Bearer not-a-token"}, 403),
])
def test_the_officer_pages_answer_a_refused_reader_with_an_error_page_not_a_500(
        dept: Department, query: str, headers: dict[str, str], status: int) -> None:
    from pubcredit.access.models import Role, User
    from tests.access.helpers import login_verified

    officer = User.objects.create_user(username="edge-officer-2", password="x-Long-pass-1", role=Role.OFFICER,
                                       department=dept, is_staff=True)
    client = Client()
    login_verified(client, officer)
    batch = submit(dept, [penalty_row(CF_CFLB="99")])
    for path in ("/officer/batches/", f"/officer/batches/{batch.pk}/", f"/officer/batches/{batch.pk}/rejected.csv"):
        response = client.get(path + query, headers=headers)
        assert response.status_code == status, (path, response.status_code)
        assert "portal/error.html" in [t.name for t in response.templates]


# --- quality figures (Art. 51) from real batches --------------------------------------------------

def test_missing_required_fields_are_counted_for_the_fields_left_empty_not_the_rows_first_error(
        dept: Department) -> None:
    from pubcredit.monitoring import queries as quality
    from tests.collection.conftest import PENALTY_DEPT

    batch = submit(dept, [
        penalty_row(CF_WSH="", CF_SY=""),                          # two required fields empty
        penalty_row(CF_XDR_SHXYM="91330106MA0AEH7Y1A", CF_SY=""),  # a wrong check character, CF_SY empty
        penalty_row(CF_NR_FK="abc", CF_SY=""),                     # not a number, CF_SY empty
    ])
    assert batch.rejected == 3
    missing = [(m.entry_code, m.field, m.count) for m in quality.department_quality(PENALTY_DEPT).missing_required]
    assert missing == [(PENALTY, "CF_SY", 3), (PENALTY, "CF_WSH", 1)]


def test_a_file_received_in_time_and_collected_after_midnight_is_not_a_late_decision(
        dept: Department, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from pubcredit.monitoring import queries as quality
    from tests.collection.conftest import PENALTY_DEPT
    from tests.factories.tasks import run_worker

    shanghai = ZoneInfo("Asia/Shanghai")
    settings.PUBCREDIT_SPOOL_DIR = tmp_path / "spool"
    issued = tokens.create_department_token(dept, name="late", actor="test")
    # Decided Mon 2026-11-16: the 7th working day after it is Wed 2026-11-25.
    path = write_csv(tmp_path / "p.csv", [penalty_row(CF_JDRQ="2026-11-16", CF_YXQ="2027-11-16")])
    response = Client().post(f"/api/v1/catalog/{PENALTY}/batches",
                             {"file": SimpleUploadedFile("p.csv", path.read_bytes(), content_type="text/csv")},
                             headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code == 202, response.content
    Batch.objects.filter(pk=response.json()["id"]).update(created_at=datetime(2026, 11, 25, 23, 50, tzinfo=shanghai))
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 26, 0, 5, tzinfo=shanghai))
    run_worker()  # collected five minutes after midnight
    monkeypatch.undo()
    assert timezone.localtime(Record.objects.get(batch_id=response.json()["id"]).collected_at).day == 26
    entry = {e.entry_code: e for e in quality.department_quality(PENALTY_DEPT, today=date(2026, 11, 26)).entries}
    assert (entry[PENALTY].lag_checked, entry[PENALTY].late_records) == (1, 0)


# --- the CLI and the API refuse bad arguments in one line ------------------------------------------

def _ingest(*argv: str) -> Any:
    import subprocess
    import sys

    from tests.collection.test_crash import _env

    return subprocess.run([sys.executable, "-c", "import sys; from pubcredit import cli; sys.exit(cli.main())",  # noqa: S603
                           "ingest", *argv], env=_env(), capture_output=True, text=True, timeout=120, check=False)


def test_ingest_checks_the_rejected_rows_path_before_collecting_anything(dept: Department, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [penalty_row(), penalty_row(CF_CFLB="99")])
    for target, told in ((tmp_path, "是目录"), (tmp_path / "no" / "x.csv", "不存在"),
                         (path, "就是要报送的文件"), (tmp_path / "." / "p.csv", "覆盖原文件")):
        done = _ingest(str(path), "--entry", PENALTY, "--dept", dept.code, "--rejected-csv", str(target), "--quiet")
        assert done.returncode == 2, done.stderr
        assert "--rejected-csv" in done.stderr
        assert told in done.stderr
        assert "Traceback" not in done.stderr
    assert not Batch.objects.exists()
    assert path.read_text(encoding="utf-8").count("\n") == 3  # the file to send is untouched


def test_ingest_refuses_arguments_that_are_not_utf_8_in_one_line(dept: Department, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [penalty_row()])
    done = _ingest(str(path), "--entry", PENALTY, "--dept", "\udcb4\udca6", "--quiet")  # GBK bytes, as Python sees them
    assert done.returncode == 2
    assert "--dept" in done.stderr
    assert "UTF-8" in done.stderr
    assert "Traceback" not in done.stderr
    assert not Batch.objects.exists()


def test_only_the_submitting_department_downloads_rejected_rows_with_their_personal_data(dept: Department) -> None:
    from pubcredit.access.models import Role, User
    from tests.access.helpers import login_verified

    batch = submit(dept, [person_penalty_row(f.resident_id(), CF_CFLB="99")])
    issued = tokens.create_department_token(dept, name="own", actor="test")
    own = Client().get(f"/api/v1/batches/{batch.pk}/rejected.csv", headers={"Authorization": f"Bearer {issued.secret}"})
    assert own.status_code == 200
    for role in (Role.OPERATOR, Role.AUDITOR):
        user = User.objects.create_user(username=f"sup-{role}", password="x-Long-pass-1", role=role, is_staff=True)
        client = Client()
        login_verified(client, user)
        assert client.get(f"/api/v1/batches/{batch.pk}").status_code == 200  # counts and reasons: yes
        assert client.get(f"/api/v1/batches/{batch.pk}/rejected.csv").status_code == 404  # the rows: no


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/v1/catalog/%00/batches"), ("post", f"/api/v1/catalog/{PENALTY}/records/a%00b/revoke"),
    ("post", "/api/v1/catalog/a%00b/records/ab/revoke"), ("get", "/api/v1/batches?entry_code=%00"),
])
def test_a_nul_in_the_path_or_query_is_a_4xx_not_a_500(dept: Department, method: str, path: str) -> None:
    issued = tokens.create_department_token(dept, name="nul", actor="test")
    client = Client()
    call = client.post if method == "post" else client.get
    kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {issued.secret}"}}
    if method == "post":
        kwargs.update(data={"rows": [penalty_row()], "reason": "撤销"}, content_type="application/json")
    response = call(path, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:200])


def test_id_numbers_in_free_text_are_masked_before_they_are_stored(catalog: None) -> None:
    """A department may write a person's ID number into the facts of a case: free text is published as
    sent, so the number is masked before it is stored (a reviewer's finding, session 12). Keys and the
    structured ID fields are identifiers and are kept."""
    dept = catalog_queries.department_by_code("hz-scjgj")
    someone = f.resident_id()
    key = "杭市监罚〔2025〕330106199001011234号"  # 18 digits in a decision number: a key, kept exactly
    row = penalty_row(CF_WSH=key, CF_SY=f"经查，当事人雇用的张某（身份证号 {someone}）销售过期食品",
                      BZ=f"联系人证件 {someone.lower()}")
    batch = submit(dept, [row])
    assert batch.accepted == 1
    record = Record.objects.get(batch=batch)
    masked = f"{someone[:6]}********{someone[14:]}"
    assert record.data["CF_SY"] == f"经查，当事人雇用的张某（身份证号 {masked}）销售过期食品"
    assert someone not in str(record.data)
    assert someone.lower() not in str(record.data)
    assert record.natural_key == key
    assert submit(dept, [row]).unchanged == 1  # the same row again changes nothing
    page = Client().get(f"/subjects/{row['CF_XDR_SHXYM']}/").content.decode()
    assert masked in page
    assert someone not in page



@pytest.mark.parametrize("written", ["full_width", "spaced", "lower_x_full_width"])
def test_id_numbers_in_free_text_are_masked_however_written(catalog: None, written: str) -> None:
    dept = catalog_queries.department_by_code("hz-scjgj")
    rid = f.resident_id()
    wide = rid.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    text = {"full_width": wide, "spaced": f"{rid[:6]} {rid[6:14]} {rid[14:]}",
            "lower_x_full_width": wide[:-1] + "ｘ"}[written]
    batch = submit(dept, [penalty_row(BZ=f"当事人身份证号：{text}。")])
    assert batch.accepted == 1
    stored = Record.objects.get(batch=batch).data["BZ"]
    assert stored.startswith(f"当事人身份证号：{rid[:6]}********")
    assert rid[6:14] not in stored
    assert wide[6:14] not in stored


def test_an_id_typed_into_a_wrong_column_is_masked_in_the_rejection_reason(catalog: None) -> None:
    """Reasons are stored in clear (operators and auditors read them), where a rejected row's personal
    values are encrypted: the value quoted in a reason has its ID masked."""
    dept = catalog_queries.department_by_code("hz-scjgj")
    rid = f.resident_id()
    batch = submit(dept, [penalty_row(CF_JDRQ=rid)])
    assert batch.rejected == 1
    reasons = " ".join(batch.rejections.values_list("reason", flat=True))
    assert f"{rid[:6]}********{rid[14:]}" in reasons
    assert rid[6:14] not in reasons


def test_a_persons_name_standing_alone_in_another_field_of_its_record_is_masked(catalog: None) -> None:
    """A licence of a 个体工商户 whose department filled 法定代表人 with the person's own name: the
    subject-name field was masked, that field was not (a reviewer's finding, session 12)."""
    from tests.collection.test_relations_lifecycle import licensing_row

    dept = catalog_queries.department_by_code("hz-scjgj")
    rid = f.resident_id()
    row = licensing_row("", "李四四", f.resident_id(), XK_XDR_LB="自然人", XK_XDR_MC="李四四", XK_XDR_ZJLX="身份证",
                        XK_XDR_ZJHM=rid)
    for key in ("XK_XDR_SHXYM", "XK_FR_ZJLX", "XK_FR_ZJHM"):
        row.pop(key)
    assert submit(dept, [row], entry="licensing-scjg").accepted == 1
    body = Client().get(f"/api/v1/subjects/{rid}").json()
    fields = {fl["name"]: fl["value"] for r in body["basic"] for fl in r["fields"]}
    assert (fields["XK_XDR_MC"], fields["XK_FRDB"]) == ("李*四", "李*四")
    assert "李四四" not in str(body)
