"""What a department's program sends, read as it was meant (a reviewer's findings, session 12): a JSON row
or body naming a key twice is refused, not resolved to its last value; a decision number typed with
full-width digits is the same decision (no second record, no revoked record back); a documented batch
size fits the body limit, and a body over it says so; a CSV row with one cell too many is refused even
when that cell is empty (a shifted row)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pubcredit.access import tokens
from pubcredit.catalog.models import Department
from pubcredit.collection import api as collection_api
from pubcredit.collection.models import Record, RecordStatus
from tests.collection.conftest import PENALTY, penalty_row
from tests.factories.tasks import run_worker

pytestmark = pytest.mark.django_db
URL = f"/api/v1/catalog/{PENALTY}/batches"


@pytest.fixture
def bearer(dept: Department) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.create_department_token(dept, name='程序', actor='test').secret}"}


def _send(body: str | bytes, headers: dict[str, str]) -> object:
    return Client().post(URL, body.encode() if isinstance(body, str) else body, content_type="application/json",
                         headers=headers)


def _wide(text: str) -> str:
    return text.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})


def test_a_json_row_naming_a_key_twice_is_rejected_not_read_as_its_last_value(bearer: dict[str, str]) -> None:
    row = json.dumps(penalty_row(), ensure_ascii=False)[:-1] + ', "CF_NR_FK": "200"}'  # a fine 100 times larger
    response = _send('{"rows": [' + row + "]}", bearer)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (0, 1)
    assert "CF_NR_FK 在该条数据中出现了不止一次" in body["rejections"][0]["reason"]
    assert not Record.objects.exists()
    twice = _send('{"rows": [], "rows": [' + json.dumps(penalty_row(), ensure_ascii=False) + "]}", bearer)
    assert twice.status_code == 400
    assert twice.json()["field"] == "body"


def test_a_json_lines_row_naming_a_key_twice_is_rejected(bearer: dict[str, str]) -> None:
    line = json.dumps(penalty_row(), ensure_ascii=False)[:-1] + ', "CF_NR_FK": "200"}\n'
    upload = SimpleUploadedFile("a.jsonl", line.encode(), content_type="application/x-ndjson")
    received = Client().post(URL, {"file": upload}, headers=bearer)
    assert received.status_code == 202, received.content
    run_worker()
    body = Client().get(received["Location"], headers=bearer).json()
    assert (body["accepted"], body["rejected"]) == (0, 1)
    assert "出现了不止一次" in body["rejections"][0]["reason"]


def test_a_decision_number_in_full_width_digits_is_the_same_decision(bearer: dict[str, str]) -> None:
    row = penalty_row()
    assert _send(json.dumps({"rows": [row]}, ensure_ascii=False), bearer).json()["accepted"] == 1
    again = _send(json.dumps({"rows": [dict(row, CF_WSH=_wide(row["CF_WSH"]))]}, ensure_ascii=False), bearer).json()
    assert (again["accepted"], again["unchanged"]) == (0, 1)
    assert Record.objects.count() == 1


def test_a_revoked_decision_cannot_come_back_in_full_width_digits(bearer: dict[str, str]) -> None:
    row = penalty_row()
    assert _send(json.dumps({"rows": [row]}, ensure_ascii=False), bearer).json()["accepted"] == 1
    revoked = Client().post(f"/api/v1/catalog/{PENALTY}/records/{row['CF_WSH']}/revoke", {"reason": "决定已撤销"},
                            content_type="application/json", headers=bearer)
    assert revoked.status_code == 200, revoked.content
    body = _send(json.dumps({"rows": [dict(row, CF_WSH=_wide(row["CF_WSH"]))]}, ensure_ascii=False), bearer).json()
    assert (body["accepted"], body["rejected"]) == (0, 1)
    assert "撤销" in body["rejections"][0]["reason"]
    assert list(Record.objects.values_list("status", flat=True)) == [RecordStatus.REVOKED]


def test_a_batch_of_the_documented_size_fits_and_a_larger_body_is_told_to_go_as_a_file(
        bearer: dict[str, str]) -> None:
    rows = [penalty_row() for _ in range(5000)]  # ≈ 3.3 MB: refused with a bare 400 before
    response = _send(json.dumps({"rows": rows}, ensure_ascii=False), bearer)
    assert response.status_code == 201, response.content[:300]
    assert response.json()["accepted"] == 5000
    too_big = _send(b'{"rows": [' + b",".join([b'{"CF_SY": "' + b"x" * 1000 + b'"}'] * 17_000) + b"]}", bearer)
    assert too_big.status_code == 413
    assert (too_big.json()["field"], too_big.json()["code"]) == ("body", "too_large")
    assert "文件上传" in too_big.json()["message"]
    assert collection_api.MAX_JSON_ROWS * 700 < 16 * 1024 * 1024  # the row limit fits the body limit


def test_a_csv_row_with_an_empty_cell_too_many_is_refused_not_read_shifted(bearer: dict[str, str]) -> None:
    row = penalty_row(CF_SY="经查,当事人销售过期食品", BZ="")  # an unquoted comma; 备注 empty, as usual
    columns = list(row)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    text.write(",".join(str(row[c]) for c in columns) + "\n")  # written by hand: the comma left unquoted
    upload = SimpleUploadedFile("shifted.csv", text.getvalue().encode(), content_type="text/csv")
    received = Client().post(URL, {"file": upload}, headers=bearer)
    assert received.status_code == 202, received.content
    run_worker()
    body = Client().get(received["Location"], headers=bearer).json()
    assert (body["accepted"], body["rejected"]) == (0, 1)
    (reason,) = [r["reason"] for r in body["rejections"]]
    assert f"该行有 {len(columns) + 1} 列，表头只有 {len(columns)} 列；多出的第 {len(columns) + 1} 列为空" in reason


def test_a_file_with_a_header_and_no_rows_is_refused_not_completed(bearer: dict[str, str]) -> None:
    """An officer read "已完成，0 行" as a success (acceptance run, session 12)."""
    upload = SimpleUploadedFile("empty.csv", b"CF_WSH,CF_XDR_MC\n\n", content_type="text/csv")
    received = Client().post(URL, {"file": upload}, headers=bearer)
    assert received.status_code == 202, received.content
    run_worker()
    body = Client().get(received["Location"], headers=bearer).json()
    assert body["status"] == "failed"
    assert "没有数据行" in body["error"]
    empty = _send('{"rows": []}', bearer)
    assert empty.status_code == 400
    assert empty.json()["field"] == "rows"
