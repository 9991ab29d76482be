"""The collection API end to end: revoking by the key as submitted, upload errors naming ``file``,
JSON errors under /api/, who is offered the rejected-rows link, and a queued file checked again
when its collection starts (the review of session 12)."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client

from pubcredit.access import tokens
from pubcredit.audit.models import AuditEntry
from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog.models import Department
from pubcredit.collection import services
from pubcredit.collection.models import Batch, BatchStatus, Record, RecordStatus
from tests.collection.conftest import PENALTY, penalty_row
from tests.factories import subjects as factories
from tests.factories.tasks import run_worker

pytestmark = pytest.mark.django_db

URL = f"/api/v1/catalog/{PENALTY}/batches"
REVOKE = f"/api/v1/catalog/{PENALTY}/records/revoke"


def _bearer(dept: Department) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.create_department_token(dept, name='prog', actor='test').secret}"}


@pytest.fixture
def bearer(dept: Department) -> dict[str, str]:
    return _bearer(dept)


def _post_rows(rows: list[dict[str, Any]], headers: dict[str, str], entry: str = PENALTY) -> HttpResponse:
    return Client().post(f"/api/v1/catalog/{entry}/batches", {"rows": rows}, content_type="application/json",
                         headers=headers)


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _upload(name: str = "a.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _csv([penalty_row()]), content_type="text/csv")


def _error(res: HttpResponse, status: int, field: str) -> dict[str, Any]:
    assert res.status_code == status, res.content
    assert res["Content-Type"].startswith("application/json")
    body = res.json()
    assert (body["code"], body["field"]) == ("invalid" if status == 400 else body["code"], field), body
    return body


# --- Revoking by the key as submitted -------------------------------------------------------------

def _identity_client() -> tuple[dict[str, str], str]:
    """hz-gaj provides person-identity, keyed by a resident ID (stored as its keyed hash)."""
    headers = _bearer(catalog_queries.department_by_code("hz-gaj"))
    rid = factories.resident_id()
    res = _post_rows([{"resident_id": rid, "name": "李四"}], headers, entry="person-identity")
    assert res.status_code == 201, res.content
    assert res.json()["accepted"] == 1
    assert Record.objects.get(entry__code="person-identity").natural_key != rid
    return headers, rid


def test_a_record_keyed_by_a_resident_id_is_revoked_by_the_key_fields_in_the_body(catalog: None) -> None:
    headers, rid = _identity_client()
    res = Client().post("/api/v1/catalog/person-identity/records/revoke",
                        {"key": {"resident_id": rid}, "reason": "录入错误"}, content_type="application/json",
                        headers=headers)
    assert res.status_code == 200, res.content
    assert res.json()["status"] == RecordStatus.REVOKED
    assert Record.objects.get(entry__code="person-identity").status == RecordStatus.REVOKED


def test_the_path_form_takes_a_single_key_fields_value_as_submitted(catalog: None) -> None:
    headers, rid = _identity_client()
    res = Client().post(f"/api/v1/catalog/person-identity/records/{rid}/revoke", {"reason": "录入错误"},
                        content_type="application/json", headers=headers)
    assert res.status_code == 200, res.content
    assert Record.objects.get(entry__code="person-identity").status == RecordStatus.REVOKED


def test_the_path_form_still_takes_a_stored_plain_key(bearer: dict[str, str]) -> None:
    row = penalty_row()
    assert _post_rows([row], bearer).json()["accepted"] == 1
    res = Client().post(f"/api/v1/catalog/{PENALTY}/records/{row['CF_WSH']}/revoke", {"reason": "决定已撤销"},
                        content_type="application/json", headers=bearer)
    assert res.status_code == 200, res.content
    assert res.json()["natural_key"] == row["CF_WSH"]


def test_a_key_with_a_slash_is_revoked_by_body_or_by_an_encoded_path(bearer: dict[str, str]) -> None:
    first, second = penalty_row(CF_WSH="杭市监罚/2025/77号"), penalty_row(CF_WSH="杭市监罚/2025/78号")
    assert _post_rows([first, second], bearer).json()["accepted"] == 2
    res = Client().post(REVOKE, {"key": {"CF_WSH": first["CF_WSH"]}, "reason": "x"},
                        content_type="application/json", headers=bearer)
    assert res.status_code == 200, res.content
    res = Client().post(f"/api/v1/catalog/{PENALTY}/records/{quote(second['CF_WSH'], safe='')}/revoke",
                        {"reason": "x"}, content_type="application/json", headers=bearer)
    assert res.status_code == 200, res.content
    assert set(Record.objects.filter(entry__code=PENALTY).values_list("status", flat=True)) == {RecordStatus.REVOKED}


def test_revoking_by_key_refuses_fields_that_are_not_the_key_and_an_empty_key(bearer: dict[str, str]) -> None:
    res = Client().post(REVOKE, {"key": {"CF_WSH": "1", "BZ": "x"}, "reason": "x"},
                        content_type="application/json", headers=bearer)
    assert "BZ" in _error(res, 400, "key")["message"]
    res = Client().post(REVOKE, {"key": {}, "reason": "x"}, content_type="application/json", headers=bearer)
    _error(res, 400, "key")
    res = Client().post(REVOKE, {"key": {"CF_WSH": "a\x00b"}, "reason": "x"}, content_type="application/json",
                        headers=bearer)
    assert res.status_code == 404, res.content


def test_an_unknown_key_by_body_is_404(bearer: dict[str, str]) -> None:
    res = Client().post(REVOKE, {"key": {"CF_WSH": "杭市监罚〔2025〕999号"}, "reason": "x"},
                        content_type="application/json", headers=bearer)
    assert res.status_code == 404, res.content
    assert res.json()["code"] == "not_found"


def test_both_revoke_forms_are_in_the_openapi_schema() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/catalog/{entry_code}/records/revoke" in paths
    assert "/api/v1/catalog/{entry_code}/records/{natural_key}/revoke" in paths


def test_a_revoke_body_that_is_not_json_names_the_body(bearer: dict[str, str]) -> None:
    res = Client().post(f"/api/v1/catalog/{PENALTY}/records/X/revoke", "nope", content_type="application/json",
                        headers=bearer)
    _error(res, 400, "body")


def test_an_unknown_address_under_api_answers_json_404() -> None:
    res = Client().post("/api/v1/catalog/x/records/a/b", {}, content_type="application/json")
    assert res.status_code == 404
    assert res["Content-Type"].startswith("application/json")
    assert res.json()["code"] == "not_found"
    assert Client().get("/no-such-page/").get("Content-Type", "").startswith("text/html")


# --- Uploads: exactly one file, in field ``file`` ---------------------------------------------------

def test_a_multipart_body_without_field_file_names_file(bearer: dict[str, str]) -> None:
    res = Client().post(URL, {"upload": _upload()}, headers=bearer)
    body = _error(res, 400, "file")
    assert "file" in body["message"]
    assert "upload" in body["message"]
    assert not Batch.objects.exists()


@pytest.mark.parametrize("files", [{"file": ["a", "b"]}, {"file": ["a"], "other": ["b"]}])
def test_two_files_are_refused_not_one_dropped(bearer: dict[str, str], files: dict[str, list[str]]) -> None:
    data = {name: [_upload(f"{n}.csv") for n in names] for name, names in files.items()}
    res = Client().post(URL, data, headers=bearer)
    assert "一次只能上传一个文件" in _error(res, 400, "file")["message"]
    assert not Batch.objects.exists()


# --- The rejected-rows link is offered only to whom may open it -----------------------------------

def test_only_the_submitting_department_is_offered_the_rejected_rows_link(bearer: dict[str, str]) -> None:
    from tests.access.helpers import make_user, verified_client

    sent = _post_rows([penalty_row(CF_JDRQ="2099-01-01")], bearer).json()
    assert sent["rejected"] == 1
    assert sent["rejected_csv_url"]
    own = Client().get(f"/api/v1/batches/{sent['id']}", headers=bearer).json()
    assert Client().get(own["rejected_csv_url"], headers=bearer).status_code == 200
    operator = verified_client(make_user("operator", "op1"))
    seen = operator.get(f"/api/v1/batches/{sent['id']}")
    assert seen.status_code == 200, seen.content
    assert seen.json()["rejected"] == 1
    assert seen.json()["rejected_csv_url"] is None
    assert operator.get(own["rejected_csv_url"]).status_code == 404


# --- A queued file is checked again when its collection starts ------------------------------------

def test_a_queued_file_of_a_department_deactivated_since_is_not_collected(bearer: dict[str, str],
                                                                          dept: Department) -> None:
    res = Client().post(URL, {"file": _upload()}, headers=bearer)
    assert res.status_code == 202, res.content
    Department.objects.filter(pk=dept.pk).update(is_active=False)
    run_worker()
    batch = Batch.objects.get(pk=res.json()["id"])
    assert (batch.status, batch.accepted) == (BatchStatus.FAILED, 0)
    assert batch.error.startswith(services.RECEIVED_NOT_ALLOWED)
    assert "已停用" in batch.error
    assert not Record.objects.exists()
    failed = AuditEntry.objects.get(object_type="batch", object_id=str(batch.pk), event="collection:batch:failed")
    assert failed.data["error"] == batch.error
