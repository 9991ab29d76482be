"""Verification (issue #5 item 3) as a reviewer attacked it (session 12): the offline checker the
platform publishes (``reports/static/reports/verify_report.py``) on genuine, forged and altered
reports; reports signed with a retired key; codes typed in full width; what the verify page says
of a special report; no copy of a report kept by a cache; the special report's rate limit."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from pubcredit.access import ratelimit
from pubcredit.access.models import Role, User
from pubcredit.access.readers import PUBLIC
from pubcredit.reports import pdf as report_pdf
from pubcredit.reports import rules, services, signing
from pubcredit.reports.models import IssuedReport
from tests.factories import subjects as f
from tests.reports.conftest import Company

pytestmark = pytest.mark.django_db

CHECKER = Path(__file__).resolve().parents[2] / "src/pubcredit/reports/static/reports/verify_report.py"


def _check(report: Path, key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECKER), str(report), "--key", str(key)],  # noqa: S603
                          capture_output=True, text=True, timeout=60, check=False)


def _published_key(tmp_path: Path) -> Path:
    path = tmp_path / "key.json"
    path.write_bytes(Client().get("/api/v1/reports/public-key").content)
    return path


def test_the_published_checker_passes_a_genuine_json_and_pdf(company: Company, tmp_path: Path) -> None:
    key = _published_key(tmp_path)
    client = Client()
    (tmp_path / "r.json").write_bytes(client.get(f"/api/v1/subjects/{company.subject.uscc}/report").content)
    done = _check(tmp_path / "r.json", key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "结论：验证通过" in done.stdout
    for path in (f"/api/v1/subjects/{company.subject.uscc}/report.pdf",
                 f"/api/v1/subjects/{company.subject.uscc}/special-report.pdf?classes=penalty,arrears"):
        (tmp_path / "r.pdf").write_bytes(client.get(path).content)
        done = _check(tmp_path / "r.pdf", key)
        assert done.returncode == 0, (path, done.stdout + done.stderr)
    assert '"classes":["penalty","arrears"]' in done.stdout  # what the signature vouches for, printed


def test_a_pdf_with_a_borrowed_signature_fails(company: Company, tmp_path: Path) -> None:
    """A forger takes a genuine report, removes its adverse items, embeds that JSON with its own
    digest, and copies the genuine signed message and signature: the digest the signature names is
    not the content's (the documented shell steps alone did not catch this)."""
    genuine = services.issue_report(company.subject, reader=PUBLIC)
    cleaned = dataclasses.replace(genuine.report, sections=tuple(
        dataclasses.replace(s, items=()) if s.key in ("adverse", "lists", "commitments") else s
        for s in genuine.report.sections))
    forged_digest = hashlib.sha256(rules.canonical_json(cleaned.content()).encode("utf-8")).hexdigest()

    class Forged(services.Issued):
        def verification(self) -> dict[str, Any]:
            return {**genuine.verification(), "digest": forged_digest}

    data = report_pdf.render(Forged(cleaned, genuine.row), verify_url=f"http://testserver/verify/{genuine.code}/").data
    (tmp_path / "forged.pdf").write_bytes(data)
    done = _check(tmp_path / "forged.pdf", _published_key(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "签名不属于这份内容" in done.stdout
    assert "平台签名（Ed25519）校验通过" in done.stdout  # the signature itself is genuine: only the tie catches it


def test_an_altered_json_report_fails(company: Company, tmp_path: Path) -> None:
    body = Client().get(f"/api/v1/subjects/{company.subject.uscc}/report").json()
    body["content"]["subject"]["name"] = "杭州改名有限公司"
    (tmp_path / "r.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    done = _check(tmp_path / "r.json", _published_key(tmp_path))
    assert done.returncode == 1
    assert "结论：验证未通过" in done.stdout


def test_the_checker_refuses_unusable_input(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    (tmp_path / "k.txt").write_text(base64.b64encode(b"k" * 32).decode(), encoding="utf-8")
    done = _check(tmp_path / "x.json", tmp_path / "k.txt")
    assert done.returncode == 2
    assert "无法验证" in done.stderr


def test_reports_signed_with_a_retired_key_still_verify(company: Company, settings: Any, tmp_path: Path) -> None:
    client = Client()
    body = client.get(f"/api/v1/subjects/{company.subject.uscc}/report").content
    code = json.loads(body)["verification"]["code"]
    old_public = signing.platform_key().public_b64
    settings.REPORT_SIGNING_KEY = base64.b64encode(b"r" * 32).decode()  # the platform rotates its key …
    unknown = client.get(f"/api/v1/reports/verify/{code}").json()
    assert (unknown["signature_valid"], unknown["public_key"]) == (False, "")  # … without publishing the old one
    settings.REPORT_RETIRED_PUBLIC_KEYS = [old_public]  # … and with it
    out = client.get(f"/api/v1/reports/verify/{code}").json()
    assert (out["signature_valid"], out["public_key"]) == (True, old_public)
    assert "该报告不可信" not in client.get(f"/verify/{code}/").content.decode()
    published = client.get("/api/v1/reports/public-key").json()
    assert published["key_id"] != out["key_id"]
    assert [k["key_id"] for k in published["retired"]] == [out["key_id"]]
    (tmp_path / "r.json").write_bytes(body)
    (tmp_path / "key.json").write_text(json.dumps(published), encoding="utf-8")
    assert _check(tmp_path / "r.json", tmp_path / "key.json").returncode == 0  # offline too


@pytest.mark.parametrize("value", ["not-a-key", base64.b64encode(b"k" * 32).decode() + "@yesterday",
                                   base64.b64encode(b"k" * 32).decode() + "@2026-11-26T12:00:00"])  # no zone
def test_a_bad_retired_key_stops_the_server_at_its_start(settings: Any, value: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.REPORT_RETIRED_PUBLIC_KEYS = [value]
    with pytest.raises(ImproperlyConfigured, match="PUBCREDIT_REPORT_RETIRED_PUBLIC_KEYS"):
        signing.check_configuration()  # what pubcredit serve calls before it forks its workers


def test_a_code_typed_in_full_width_or_with_other_dashes_is_found(company: Company) -> None:
    client = Client()
    code = client.get(f"/api/v1/subjects/{company.subject.uscc}/report").json()["verification"]["code"]
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "－" for c in code)  # a Chinese input method
    assert client.get(f"/api/v1/reports/verify/{full_width}").status_code == 200
    assert rules.normalize_verification_code(code.replace("-", "—")) == code.replace("-", "")


def test_the_verify_page_names_the_classes_a_special_report_covers(company: Company) -> None:
    """A one-class "no record" report must not pass for one that covers every class."""
    client = Client()
    code = client.get(f"/api/v1/subjects/{company.subject.uscc}/special-report",
                      {"classes": "commitment_breach"}).json()["verification"]["code"]
    assert client.get(f"/api/v1/reports/verify/{code}").json()["class_labels"] == ["违背信用承诺信息"]
    page = client.get(f"/verify/{code}/").content.decode()
    assert "违背信用承诺信息（仅这些类别；其他类别未查询）" in page


def test_no_report_is_kept_by_a_cache(company: Company, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_pdf, "render",
                        lambda issued, *, verify_url: report_pdf.RenderedPdf(data=b"%PDF-1.7 fake", pages=1))
    person = f.person(name="王小明")
    own = Client()
    own.force_login(User.objects.create_user(username="own-person", password="x-Long-pass-1", role=Role.SUBJECT,
                                             subject=person))
    paths = [f"/subjects/{person.public_ref}/report/", f"/subjects/{person.public_ref}/report.pdf",
             f"/subjects/{person.public_ref}/special-report/?from=2024-01-01",
             f"/subjects/{person.public_ref}/special-report.pdf?from=2024-01-01"]
    for path in paths:
        response = own.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path
    api = Client()
    for tail in ("report", "report.pdf", "special-report"):
        path = f"/api/v1/subjects/{company.subject.uscc}/{tail}"
        assert api.get(path)["Cache-Control"] == "private, no-store", path


@pytest.fixture
def configured_limits(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PUBCREDIT_RATE_LIMIT_ENABLED = True  # the rules of settings.py as configured (reports: 10 a minute)
    monkeypatch.setattr(ratelimit, "_last_cleanup", time.time())


@pytest.mark.parametrize("path", ["/api/v1/subjects/{code}/special-report.pdf",
                                  "/api/v1/subjects/{code}/special-report",
                                  "/subjects/{code}/special-report.pdf", "/subjects/{code}/special-report/"])
def test_the_special_report_is_limited_like_the_report(company: Company, configured_limits: None,
                                                       monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """Each period is a new report and a new render: ten a minute per address, like the full report."""
    monkeypatch.setattr(report_pdf, "render",
                        lambda issued, *, verify_url: report_pdf.RenderedPdf(data=b"%PDF-1.7 fake", pages=1))
    client = Client(REMOTE_ADDR="10.9.9.9")
    url = path.format(code=company.subject.uscc)
    statuses = [client.get(url, {"from": f"2024-01-{day:02d}"}).status_code for day in range(1, 12)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def test_a_json_report_naming_content_twice_is_refused(company: Company, tmp_path: Path) -> None:
    """A forged ``content`` first (what a reader of the file sees), the genuine one after it under the
    same key (what ``json.loads`` keeps): the checker refuses the file rather than pick one."""
    body = Client().get(f"/api/v1/subjects/{company.subject.uscc}/report").json()
    forged = json.loads(json.dumps(body["content"]))
    forged["subject"]["name"] = "杭州伪造有限公司"
    text = ('{"content": ' + json.dumps(forged, ensure_ascii=False) + ', "verification": '
            + json.dumps(body["verification"], ensure_ascii=False) + ', "content": '
            + json.dumps(body["content"], ensure_ascii=False) + "}")
    (tmp_path / "r.json").write_text(text, encoding="utf-8")
    done = _check(tmp_path / "r.json", _published_key(tmp_path))
    assert done.returncode == 2
    assert "重复的键：content" in done.stderr


def test_batch_query_results_are_not_kept_by_a_cache(company: Company) -> None:
    from tests.factories.tasks import run_worker
    from tests.reports.test_batch_queries import agency_token, post, results

    headers = agency_token(company.bank)
    job = post(headers, [company.subject.uscc or ""]).json()["id"]
    run_worker()
    for fmt in ("jsonl", "csv"):
        assert results(job, headers, fmt=fmt)["Cache-Control"] == "private, no-store"


def test_a_retired_key_signs_nothing_issued_after_its_retirement(company: Company, settings: Any,
                                                                 tmp_path: Path) -> None:
    """A key is often retired because it leaked: a report it signs that claims a later issue time is
    not genuine, online or offline."""
    from datetime import timedelta

    client = Client()
    body = client.get(f"/api/v1/subjects/{company.subject.uscc}/report").content
    ver = json.loads(body)["verification"]
    old_public = signing.platform_key().public_b64
    settings.REPORT_SIGNING_KEY = base64.b64encode(b"s" * 32).decode()
    issued = IssuedReport.objects.get(code=ver["code"].replace("-", "")).issued_at
    for retired_at, genuine in ((issued + timedelta(minutes=5), True), (issued - timedelta(minutes=5), False)):
        stamp = retired_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        settings.REPORT_RETIRED_PUBLIC_KEYS = [f"{old_public}@{stamp}"]
        signing._retired.cache_clear()
        assert client.get(f"/api/v1/reports/verify/{ver['code']}").json()["signature_valid"] is genuine
        published = client.get("/api/v1/reports/public-key").json()
        assert published["retired"][0]["retired_at"].startswith(stamp[:19])
        (tmp_path / "r.json").write_bytes(body)
        (tmp_path / "key.json").write_text(json.dumps(published), encoding="utf-8")
        done = _check(tmp_path / "r.json", tmp_path / "key.json")
        assert (done.returncode == 0) is genuine, done.stdout
    assert "已停用" in done.stdout


def test_a_key_file_with_a_malformed_retirement_time_is_unusable(company: Company, tmp_path: Path) -> None:
    (tmp_path / "r.json").write_bytes(Client().get(f"/api/v1/subjects/{company.subject.uscc}/report").content)
    published = Client().get("/api/v1/reports/public-key").json()
    published["retired"] = [{"key_id": "x", "public_key": base64.b64encode(b"k" * 32).decode(), "pem": "",
                             "retired_at": "yesterday"}]
    (tmp_path / "key.json").write_text(json.dumps(published), encoding="utf-8")
    done = _check(tmp_path / "r.json", tmp_path / "key.json")
    assert done.returncode == 2
    assert "停用时间无法识别" in done.stderr
    assert "Traceback" not in done.stderr
