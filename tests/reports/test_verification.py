"""Anti-forgery: genuine, altered and forged reports, bad signatures, the published key."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from pubcredit.reports import rules, signing
from pubcredit.reports.models import IssuedReport
from tests.factories import subjects as f
from tests.reports.conftest import Company

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def triggers_off() -> Iterator[None]:
    """As someone with database access would: the append-only triggers of the issued reports off
    (reports/0010), for this transaction only."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield
        finally:
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def api() -> Client:
    return Client()


def _report(api: Client, company: Company) -> dict[str, Any]:
    res = api.get(f"/api/v1/subjects/{company.subject.uscc}/report")
    assert res.status_code == 200
    body: dict[str, Any] = res.json()
    return body


def test_genuine_report_verifies_and_signature_checks_offline(api: Client, company: Company) -> None:
    body = _report(api, company)
    ver = body["verification"]
    assert rules.content_digest(body["content"]) == ver["digest"]  # the JSON content is exactly what was digested
    key = api.get("/api/v1/reports/public-key").json()
    assert key["algorithm"] == "Ed25519"
    assert key["pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert signing.signature_valid(key["public_key"], ver["signed_message"].encode(), ver["signature"])
    assert ver["signed_message"].split("|")[1:4] == [ver["code"], ver["digest"], company.subject.uscc]

    res = api.get(f"/api/v1/reports/verify/{ver['code']}")
    assert res.status_code == 200
    out = res.json()
    assert out["signature_valid"] is True
    assert out["digest"] == ver["digest"]
    assert out["subject_name"] == "杭州报告测试有限公司"
    assert out["reader_basis"] == "public"
    assert out["kind"] == "full"
    assert out["public_key"] == key["public_key"]

    same = api.post(f"/api/v1/reports/verify/{ver['code']}", body, content_type="application/json").json()
    assert same == {"consistent": True, "verdict": "一致", "expected_digest": ver["digest"],
                    "given_digest": ver["digest"], "signature_valid": True}
    by_digest = api.post(f"/api/v1/reports/verify/{ver['code'].lower()}", {"digest": ver["digest"]},
                         content_type="application/json").json()
    assert by_digest["verdict"] == "一致"


def test_altered_report_is_detected(api: Client, company: Company) -> None:
    body = _report(api, company)
    code = body["verification"]["code"]
    altered = copy.deepcopy(body)
    adverse = next(s for s in altered["content"]["sections"] if s["key"] == "adverse")
    adverse["items"] = []  # the penalty "removed" from the report
    res = api.post(f"/api/v1/reports/verify/{code}", altered, content_type="application/json")
    assert res.status_code == 200
    assert res.json()["verdict"] == "不一致"
    assert res.json()["consistent"] is False
    renamed = copy.deepcopy(body["content"])
    renamed["subject"]["name"] = "杭州另一家有限公司"
    assert api.post(f"/api/v1/reports/verify/{code}", {"content": renamed},
                    content_type="application/json").json()["verdict"] == "不一致"


def test_forged_code_is_not_found(api: Client, company: Company) -> None:
    _report(api, company)
    forged = rules.format_verification_code(rules.new_verification_code())
    res = api.get(f"/api/v1/reports/verify/{forged}")
    assert res.status_code == 404
    assert res.json()["message"] == "未查到该报告"
    assert api.post(f"/api/v1/reports/verify/{forged}", {"digest": "0" * 64},
                    content_type="application/json").status_code == 404
    malformed = api.get("/api/v1/reports/verify/NOT-A-CODE")
    assert malformed.status_code == 400
    assert api.post(f"/api/v1/reports/verify/{forged}", {}, content_type="application/json").status_code == 400


def test_a_tampered_row_fails_its_signature(api: Client, company: Company) -> None:
    body = _report(api, company)
    code = body["verification"]["code"]
    # Someone with database access swaps the digest for that of an altered report: the signature no longer fits.
    with triggers_off():
        IssuedReport.objects.filter(code=code.replace("-", "")).update(content_digest="f" * 64)
    out = api.get(f"/api/v1/reports/verify/{code}").json()
    assert out["signature_valid"] is False
    cmp = api.post(f"/api/v1/reports/verify/{code}", {"digest": "f" * 64}, content_type="application/json").json()
    assert cmp["verdict"] == "不一致"
    page = Client().get(f"/verify/{code}/")
    assert "签名校验未通过" in page.content.decode()


def test_bad_signature_value_is_refused(api: Client, company: Company) -> None:
    body = _report(api, company)
    code = body["verification"]["code"]
    sig = body["verification"]["signature"]
    with triggers_off():
        forged = ("A" if sig[0] != "A" else "B") + sig[1:]
        IssuedReport.objects.filter(code=code.replace("-", "")).update(signature=forged)
    assert api.get(f"/api/v1/reports/verify/{code}").json()["signature_valid"] is False


def test_verify_page_shows_the_issue_and_masks_persons(company: Company) -> None:
    from pubcredit.access.readers import Reader
    from pubcredit.reports import services

    person = f.person(name="李四光")
    issued = services.issue_report(person, reader=Reader(kind="subject", subject_id=person.pk))
    assert issued.report.subject.name == "李四光"  # the person sees their own name in the report
    page = Client().get("/verify/", {"code": issued.code})
    html = page.content.decode()
    assert page.status_code == 200
    assert "该报告由本平台出具" in html
    assert "李*光" in html
    assert "李四光" not in html
    assert "信用主体本人" in html
    assert issued.row.content_digest in html
    assert signing.platform_key().public_b64 in html
    assert Client().get(f"/verify/{issued.code}/").status_code == 200  # the QR link
    missing = Client().get("/verify/", {"code": rules.format_verification_code(rules.new_verification_code())})
    assert missing.status_code == 404
    assert "未查到该报告" in missing.content.decode()
    assert Client().get("/verify/").status_code == 200


@pytest.mark.parametrize("change", [
    {"subject_name_public": "杭州冒名顶替有限公司"}, {"reader_basis": "own"}, {"kind": "special"},
    {"as_of": "2020-01-01"}, {"parameters": {"from": "2020-01-01", "to": "2020-12-31"}},
])
def test_what_the_verify_page_shows_is_signed_so_an_altered_row_fails(
        api: Client, company: Company, change: dict[str, Any]) -> None:
    code = _report(api, company)["verification"]["code"]
    assert api.get(f"/api/v1/reports/verify/{code}").json()["signature_valid"] is True
    with triggers_off():
        IssuedReport.objects.filter(code=code.replace("-", "")).update(**change)
    out = api.get(f"/api/v1/reports/verify/{code}").json()
    assert out["signature_valid"] is False
    page = api.get(f"/verify/{code}/").content.decode()
    assert "签名校验未通过" in page
    assert "该报告由本平台出具" not in page


def test_a_report_signed_before_format_2_still_verifies_and_says_what_its_signature_covers(
        api: Client, company: Company) -> None:
    code = _report(api, company)["verification"]["code"]
    row = IssuedReport.objects.get(code=code.replace("-", ""))
    old = rules.signed_message_v1(code=row.code, digest=row.content_digest, subject_code=row.subject_code_public,
                                  issued_at=row.issued_at)
    with triggers_off():
        IssuedReport.objects.filter(pk=row.pk).update(signature_format=1,
                                                      signature=signing.sign(signing.platform_key(), old))
    out = api.get(f"/api/v1/reports/verify/{code}").json()
    assert out["signature_valid"] is True
    assert out["signed_fields"] == ["code", "digest", "subject_code", "issued_at"]
    page = api.get(f"/verify/{code}/").content.decode()
    assert "该报告由本平台出具" in page
    assert "签名格式升级之前" in page
    # Its JSON answer, read again, gives the message it was signed over.
    again = _report(api, company)["verification"]
    assert again["signed_message"] == old.decode()
    assert signing.signature_valid(signing.platform_key().public_b64, again["signed_message"].encode(),
                                   again["signature"])


def test_a_new_report_says_its_signature_covers_every_field_shown(api: Client, company: Company) -> None:
    ver = _report(api, company)["verification"]
    out = api.get(f"/api/v1/reports/verify/{ver['code']}").json()
    assert set(out["signed_fields"]) == {"code", "digest", "subject_code", "issued_at", "kind", "as_of",
                                         "reader_basis", "subject_name", "parameters"}
    parts = ver["signed_message"].split("|")
    assert parts[0] == "pubcredit-report-v2"
    assert parts[5:9] == [out["kind"], out["as_of"], out["reader_basis"], out["subject_name"]]
