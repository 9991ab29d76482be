"""The collection API and the officers' upload page (issue #3 items 1, 2): tokens, batches, rejected rows."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pubcredit.access import tokens
from pubcredit.access.models import Role, User
from pubcredit.catalog.models import Department
from pubcredit.collection.models import Batch, Record
from tests.access.helpers import login_verified
from tests.collection.conftest import PENALTY, penalty_row
from tests.collection.test_readers_limits import HEADER_ROW, hand_built_workbook
from tests.factories.tasks import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(dept: Department) -> dict[str, str]:
    issued = tokens.create_department_token(dept, name="执法办案系统", actor="test")
    return {"Authorization": f"Bearer {issued.secret}"}


def _post(client: Client, rows: list[dict[str, object]], headers: dict[str, str], entry: str = PENALTY) -> object:
    return client.post(f"/api/v1/catalog/{entry}/batches", {"rows": rows}, content_type="application/json",
                       headers=headers)


def test_json_batch_accepts_and_rejects_rows_with_reasons(bearer: dict[str, str]) -> None:
    client = Client()
    good = penalty_row()
    bad = penalty_row(CF_XDR_SHXYM="91330106MA2AXXXX0X", CF_JDRQ="2099-01-01")
    res = _post(client, [good, bad], bearer)
    assert res.status_code == 201, res.content
    body = res.json()
    assert (body["accepted"], body["rejected"], body["row_count"]) == (1, 1, 2)
    assert {r["row_number"] for r in body["rejections"]} == {2}
    assert body["rejected_csv_url"]
    # the same rows again change nothing
    again = _post(client, [good], bearer).json()
    assert (again["accepted"], again["unchanged"]) == (0, 1)
    assert Record.objects.filter(entry__code=PENALTY).count() == 1
    # the batch can be read back, and its rejected rows downloaded as CSV to fix and resend
    got = client.get(f"/api/v1/batches/{body['id']}", headers=bearer).json()
    assert got["rejected"] == 1
    csv_res = client.get(body["rejected_csv_url"], headers=bearer)
    assert csv_res.status_code == 200
    text = b"".join(csv_res.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2  # header + the one rejected row
    assert "CF_WSH" in rows[0]


def test_file_upload_through_the_api(bearer: dict[str, str]) -> None:
    row = penalty_row()
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(row))
    w.writeheader()
    w.writerow(row)
    upload = SimpleUploadedFile("penalties.csv", buf.getvalue().encode("gb18030"), content_type="text/csv")
    res = Client().post(f"/api/v1/catalog/{PENALTY}/batches", {"file": upload}, headers=bearer)
    assert res.status_code == 202, res.content
    assert (res.json()["status"], res.json()["channel"]) == ("received", "file")
    assert run_worker() == 1
    done = Client().get(res["Location"], headers=bearer)
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["accepted"]) == ("completed", 1)
    assert done.json()["file_digest"] == hashlib.sha256(buf.getvalue().encode("gb18030")).hexdigest()


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 403), ({"Authorization": "Bearer pct_nope"}, 403), ({"Authorization": "Basic abc"}, 403)],
)
def test_submitting_needs_a_valid_department_token(catalog: None, headers: dict[str, str], status: int) -> None:
    assert _post(Client(), [penalty_row()], headers).status_code == status
    assert not Batch.objects.exists()


def test_revoked_token_is_refused_at_once(dept: Department) -> None:
    issued = tokens.create_department_token(dept, name="x", actor="t")
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert _post(Client(), [penalty_row()], headers).status_code == 201
    tokens.revoke_token(issued.token, actor="t")
    assert _post(Client(), [penalty_row()], headers).status_code == 403


def test_other_departments_entry_is_not_permitted(bearer: dict[str, str]) -> None:
    res = _post(Client(), [penalty_row()], bearer, entry="penalty-sthj")
    assert res.status_code == 403
    assert "提供单位" in res.json()["message"]


def test_unknown_entry_and_malformed_bodies(bearer: dict[str, str]) -> None:
    client = Client()
    assert _post(client, [penalty_row()], bearer, entry="no-such-entry").status_code == 404
    res = client.post(f"/api/v1/catalog/{PENALTY}/batches", "not json", content_type="application/json",
                      headers=bearer)
    assert res.status_code == 400
    assert res.json()["field"] == "body"
    res = client.post(f"/api/v1/catalog/{PENALTY}/batches", {"rows": "x"}, content_type="application/json",
                      headers=bearer)
    assert res.status_code == 400
    assert res.json()["field"] == "rows"


def test_another_department_cannot_read_the_batch(bearer: dict[str, str]) -> None:
    batch_id = _post(Client(), [penalty_row()], bearer).json()["id"]
    other = Department.objects.exclude(code="hz-scjgj").first()
    assert other is not None
    theirs = tokens.create_department_token(other, name="x", actor="t")
    res = Client().get(f"/api/v1/batches/{batch_id}", headers={"Authorization": f"Bearer {theirs.secret}"})
    assert res.status_code == 404


def test_department_revokes_a_record_with_reason(bearer: dict[str, str]) -> None:
    row = penalty_row()
    _post(Client(), [row], bearer)
    url = f"/api/v1/catalog/{PENALTY}/records/{row['CF_WSH']}/revoke"
    assert Client().post(url, {"reason": ""}, content_type="application/json", headers=bearer).status_code == 400
    res = Client().post(url, {"reason": "复议撤销原处罚决定"}, content_type="application/json", headers=bearer)
    assert res.status_code == 200, res.content
    assert res.json()["status"] == "revoked"


def test_nul_characters_are_refused_per_row_and_field_and_the_batch_still_completes(bearer: dict[str, str]) -> None:
    # PostgreSQL text and jsonb cannot hold U+0000: such rows made the whole batch fail with a 500.
    client = Client()
    good = penalty_row()
    in_text = penalty_row(CF_WFXW="违反\x00规定")
    in_date = penalty_row(CF_JDRQ="2025-01-0\x00")
    in_key = penalty_row(CF_WSH="杭市监罚〔2025〕空\x00字")
    res = _post(client, [good, in_text, in_date, in_key], bearer)
    assert res.status_code == 201, res.content
    body = res.json()
    assert (body["accepted"], body["rejected"]) == (1, 3)
    reasons = {(r["row_number"], r["field"]): r["reason"] for r in body["rejections"]}
    assert "空字符（U+0000）" in reasons[(2, "CF_WFXW")]
    assert "不是有效日期" in reasons[(3, "CF_JDRQ")]
    assert "空字符（U+0000）" in reasons[(4, "CF_WSH")]
    assert all("\x00" not in reason for reason in reasons.values())
    csv_res = client.get(body["rejected_csv_url"], headers=bearer)
    text = b"".join(csv_res.streaming_content).decode("utf-8-sig")
    assert "违反\ufffd规定" in text  # kept as sent, the NUL shown as U+FFFD
    assert "\x00" not in text


def test_a_column_name_with_a_nul_character_refuses_the_batch_with_a_400(bearer: dict[str, str]) -> None:
    res = _post(Client(), [penalty_row(**{"备\x00注": "x"})], bearer)
    assert res.status_code == 400, res.content
    assert res.json()["field"] == "columns"
    failed = Batch.objects.get()
    assert failed.status == "failed"
    assert "备\ufffd注" in failed.error


def test_a_lone_surrogate_in_a_json_row_rejects_that_row_naming_the_field(bearer: dict[str, str]) -> None:
    # A "\\ud800" escape without its pair decodes to a string UTF-8 cannot encode (was a 500).
    body = json.dumps({"rows": [penalty_row(), penalty_row(CF_WFXW="标记")]}).replace("\\u6807\\u8bb0", "\\ud800")
    res = Client().post(f"/api/v1/catalog/{PENALTY}/batches", body, content_type="application/json", headers=bearer)
    assert res.status_code == 201, res.content
    out = res.json()
    assert (out["accepted"], out["rejected"]) == (1, 1)
    assert "CF_WFXW" in out["rejections"][0]["reason"]
    assert "U+D800" in out["rejections"][0]["reason"]
    # an escaped pair is an ordinary character (here an emoji in a text field)
    ok = json.dumps({"rows": [penalty_row(CF_WFXW="违反😀")]})
    assert Client().post(f"/api/v1/catalog/{PENALTY}/batches", ok, content_type="application/json",
                         headers=bearer).status_code == 201


def test_a_lone_surrogate_in_another_json_body_is_a_400_naming_where(bearer: dict[str, str]) -> None:
    row = penalty_row()
    _post(Client(), [row], bearer)
    url = f"/api/v1/catalog/{PENALTY}/records/{row['CF_WSH']}/revoke"
    res = Client().post(url, '{"reason": "\\udfff"}', content_type="application/json", headers=bearer)
    assert res.status_code == 400, res.content
    assert res.json().get("field") == "reason", res.json()  # refused by the schema's string type


def test_a_revocation_reason_with_a_nul_character_is_refused(bearer: dict[str, str]) -> None:
    row = penalty_row()
    _post(Client(), [row], bearer)
    url = f"/api/v1/catalog/{PENALTY}/records/{row['CF_WSH']}/revoke"
    res = Client().post(url, {"reason": "复议\x00撤销"}, content_type="application/json", headers=bearer)
    assert res.status_code == 400, res.content
    assert res.json()["field"] == "reason"


def test_officer_uploads_a_file_with_errors_reads_them_in_chinese_and_resends_the_fixed_rows(dept: Department) -> None:
    officer = User.objects.create_user(username="zhang", password="x-Long-pass-1", role=Role.OFFICER,
                                       department=dept, is_staff=True)
    client = Client()
    login_verified(client, officer)
    good = penalty_row()
    bad = penalty_row(CF_CFLB="99")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(good))
    w.writeheader()
    w.writerows([good, bad])
    page = client.get("/officer/batches/")
    assert page.status_code == 200
    entry_id = next(e.pk for e in page.context["form"].fields["entry"].queryset if e.code == PENALTY)
    res = client.post("/officer/batches/", {"entry": entry_id,
                                           "file": SimpleUploadedFile("p.csv", buf.getvalue().encode("utf-8"))})
    assert res.status_code == 302
    detail = client.get(res["Location"])
    html = detail.content.decode()
    assert "第 2 行" in html
    assert "CF_CFLB" in html
    assert '<span class="code">CF_CFLB</span>（处罚类别）' in html  # the field by its label too
    assert "行号是表头下的第几行数据" in html  # and how the number maps to Excel's rows
    # download the rejected rows, fix them, resend only them
    rejected = b"".join(client.get(res["Location"] + "rejected.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(rejected)))
    assert len(rows) == 1
    fixed = {k: v for k, v in rows[0].items() if k in good}
    fixed["CF_CFLB"] = "02"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fixed))
    w.writeheader()
    w.writerow(fixed)
    res = client.post("/officer/batches/", {"entry": entry_id,
                                           "file": SimpleUploadedFile("fixed.csv", buf.getvalue().encode("utf-8"))})
    assert res.status_code == 302
    assert Record.objects.filter(entry__code=PENALTY).count() == 2


def test_officer_page_needs_an_officer(catalog: None) -> None:
    assert Client().get("/officer/batches/").status_code == 302
    user = User.objects.create_user(username="s", password="x-Long-pass-1", role=Role.SUBJECT)
    client = Client()
    client.force_login(user)
    assert client.get("/officer/batches/").status_code == 403


def test_multipart_without_boundary_is_400_naming_the_file_and_writes_nothing(bearer: dict[str, str]) -> None:
    """Found by the API fuzzing: Django's multipart parser raised on the missing boundary: 500."""
    res = Client().post(f"/api/v1/catalog/{PENALTY}/batches", data=b'{"rows": []}',
                        content_type="multipart/form-data", headers=bearer)
    assert res.status_code == 400, res.content
    body = res.json()
    assert (body["code"], body["field"]) == ("invalid", "file")
    assert "multipart" in body["message"]
    assert not Batch.objects.exists()


def test_a_row_that_is_not_an_object_is_rejected_as_that_row(bearer: dict[str, str]) -> None:
    """The schema documents rows as any JSON value: a non-object is a rejected row, the others are kept."""
    res = _post(Client(), [penalty_row(), 7], bearer)
    assert res.status_code == 201, res.content
    body = res.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["rejections"][0]["row_number"] == 2


def test_an_excel_bomb_is_400_naming_the_file_and_writes_nothing(bearer: dict[str, str], tmp_path: Path) -> None:
    """A 20 kB workbook whose shared strings unpack to 20 MB: refused before it is parsed."""
    strings = "<si><t>CF_WSH</t></si><si><t>" + "A" * (20 * 1024 * 1024) + "</t></si>"
    path = hand_built_workbook(tmp_path / "bomb.xlsx", rows=HEADER_ROW, strings=strings)
    upload = SimpleUploadedFile("bomb.xlsx", path.read_bytes(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    res = Client().post(f"/api/v1/catalog/{PENALTY}/batches", {"file": upload}, headers=bearer)
    assert res.status_code == 400, res.content
    body = res.json()
    assert (body["code"], body["field"]) == ("invalid", "file")
    assert "压缩比异常" in body["message"]
    assert not Batch.objects.exists()


def _with_fine(literal: str) -> str:
    return json.dumps({"rows": [penalty_row(CF_NR_FK="__X__")]}).replace('"__X__"', literal)


@pytest.mark.parametrize(("body", "told"), [
    # Python's JSON parser raises RecursionError (not a decoding error) past ~1,000 levels
    ('{"rows": ' + "[" * 100_000 + "]" * 100_000 + "}", "嵌套层数过多"),
    # it takes NaN and Infinity, and 1e999 as infinity; PostgreSQL's jsonb refuses them
    *[(_with_fine(literal), "NaN 或无穷大") for literal in ("NaN", "Infinity", "-Infinity", "1e999")],
])
def test_a_json_body_python_reads_but_postgresql_cannot_is_400_naming_the_body(bearer: dict[str, str], body: str,
                                                                               told: str) -> None:
    """Each was a 500."""
    res = Client().post(f"/api/v1/catalog/{PENALTY}/batches", data=body, content_type="application/json",
                        headers=bearer)
    assert res.status_code == 400, res.content
    assert res.json()["field"] == "body"
    assert told in res.json()["message"]
    assert not Batch.objects.exists()


def test_a_python_row_with_nan_is_rejected_and_stored(dept: Department) -> None:
    """Rows handed to the service by other code than the readers: the rejected row is still stored."""
    from tests.collection.conftest import submit

    batch = submit(dept, [penalty_row(CF_NR_FK=float("nan"))])
    assert (batch.accepted, batch.rejected) == (0, 1)
    assert batch.rejections.get().raw["CF_NR_FK"] == "nan"
