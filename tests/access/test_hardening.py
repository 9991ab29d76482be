"""Hardening: security headers and a CSP the pages really keep, 429s, no stack traces, masked logs,
production settings from the environment."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pubcredit.access import clientip, ratelimit
from pubcredit.access.logmask import MaskPersonalData
from pubcredit.access.middleware import DEFAULT_CSP
from tests.access.helpers import make_user, verified_client
from tests.factories import subjects as f

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

EXPECTED_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")
RESIDENT_ID = "330106199001011234"


# --- headers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/search/?q=杭州", "/accounts/login/", "/no-such-page/",
                                  "/api/v1/subjects/91330106MA2B3C4D5E", "/api/v1/openapi.json"])
def test_security_headers_on_every_response(client: Client, path: str) -> None:
    response = client.get(path)
    assert response["Content-Security-Policy"] == EXPECTED_CSP
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_configured_policy_is_the_strict_one(settings: Any) -> None:
    assert settings.PUBCREDIT_CSP == DEFAULT_CSP == EXPECTED_CSP


class _InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style attributes and elements,
    event-handler attributes, javascript: URLs, and assets from other origins."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            offsite = bool(value) and str(value).startswith(("http://", "https://", "//"))
            scripted = bool(value) and str(value).strip().startswith("javascript:")
            if name in ("src", "href", "action") and (scripted or (offsite and tag != "a")):  # links may leave
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "style":
            self.problems.append("<style>")
        if tag == "script":
            self._in_script = "src" not in values and values.get("type") != "application/json"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]}")


def csp_problems(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.problems


def test_admin_pages_keep_the_strict_policy() -> None:
    operator = make_user("operator", superuser=True)
    client = verified_client(operator)
    company = f.org()
    pages = ["/admin/", "/admin/catalog/department/", "/admin/catalog/department/add/", "/admin/subjects/subject/",
             f"/admin/subjects/subject/{company.pk}/change/", "/admin/access/user/",
             "/admin/catalog/catalogversion/add/", "/admin/password_change/"]
    for path in pages:
        response = client.get(path)
        if response.status_code == 404:  # a model not registered in the admin (yet)
            continue
        assert response.status_code == 200, path
        assert csp_problems(response.content.decode()) == [], path


def test_portal_and_login_pages_keep_the_strict_policy() -> None:
    company = f.org()
    anonymous = Client()
    for path in ["/", "/search/?q=杭州", f"/subjects/{company.uscc}/", "/catalog/", "/accounts/login/"]:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert csp_problems(response.content.decode()) == [], path
    officer = Client()
    officer.force_login(make_user("officer"))
    setup = officer.get("/accounts/totp/setup/")
    assert setup.status_code == 200
    assert csp_problems(setup.content.decode()) == []


# --- rate limits -----------------------------------------------------------------------------

@pytest.fixture
def tight_limits(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PUBCREDIT_RATE_LIMIT_ENABLED = True
    settings.PUBCREDIT_RATE_LIMITS = [
        {"name": "report", "pattern": r"^/api/v1/subjects/[^/]+/report", "requests": 1, "seconds": 60},
        {"name": "api", "pattern": r"^/api/v1/subjects/", "requests": 3, "seconds": 60},
        {"name": "search", "pattern": r"^/search/", "requests": 3, "seconds": 60},
    ]
    monkeypatch.setattr(ratelimit, "_last_cleanup", time.time())


def test_rate_limiting_is_off_by_default_in_tests(client: Client, settings: Any) -> None:
    assert settings.PUBCREDIT_RATE_LIMIT_ENABLED is False
    for _ in range(80):
        assert client.get("/search/").status_code == 200


def test_search_page_answers_429_in_chinese_with_retry_after(client: Client, tight_limits: None) -> None:
    for _ in range(3):
        assert client.get("/search/", {"q": "杭州"}).status_code == 200
    refused = client.get("/search/", {"q": "杭州"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    html = refused.content.decode()
    assert "访问过于频繁" in html
    assert f"请 {refused['Retry-After']} 秒后再试" in html
    assert refused["Content-Security-Policy"] == EXPECTED_CSP
    assert Client(REMOTE_ADDR="198.51.100.7").get("/search/").status_code == 200  # another client
    assert client.get("/").status_code == 200  # other pages are not limited


def test_api_answers_429_json_with_retry_after(client: Client, tight_limits: None) -> None:
    company = f.org()
    for _ in range(3):
        assert client.get(f"/api/v1/subjects/{company.uscc}").status_code == 200
    refused = client.get(f"/api/v1/subjects/{company.uscc}")
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/json")
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert "访问过于频繁" in body["message"]
    assert body["retry_after"] == int(refused["Retry-After"])


def test_report_paths_have_their_own_tighter_rule(client: Client, tight_limits: None) -> None:
    rule = ratelimit.rule_for("/api/v1/subjects/91330106MA2B3C4D5E/report.pdf")
    assert rule is not None
    assert rule.name == "report"
    client.get("/api/v1/subjects/91330106MA2B3C4D5E/report")
    refused = client.get("/api/v1/subjects/91330106MA2B3C4D5E/report")
    assert refused.status_code == 429
    assert "Retry-After" in refused


def test_the_limit_costs_one_query_per_request(client: Client, tight_limits: None, settings: Any) -> None:
    with CaptureQueriesContext(connection) as limited:
        client.get("/search/")
    settings.PUBCREDIT_RATE_LIMIT_ENABLED = False
    with CaptureQueriesContext(connection) as unlimited:
        client.get("/search/")
    assert len(limited) - len(unlimited) == 1


def test_fixed_window_resets_and_counts_across_calls() -> None:
    rule = ratelimit.Rule("t", ratelimit.re.compile("^/t"), 2, 60)
    start = 1_800_000_000.0  # a window boundary: 1_800_000_000 is a multiple of 60
    assert [ratelimit.hit(rule, "c", now=start + i).allowed for i in range(3)] == [True, True, False]
    assert ratelimit.hit(rule, "c", now=start + 2).retry_after == 58
    assert ratelimit.hit(rule, "c", now=start + 60).allowed  # next window
    assert ratelimit.hit(rule, "other", now=start + 3).allowed


def test_the_table_is_unlogged() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'access_ratecounter'")
        assert cursor.fetchone() == ("u",)


def test_client_address_trusts_forwarded_for_only_from_configured_proxies(rf: Any, settings: Any) -> None:
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert clientip.client_ip(request) == "10.0.0.5"  # no trusted proxy: the header may be forged
    settings.PUBCREDIT_TRUSTED_PROXIES = 1
    assert clientip.client_ip(request) == "203.0.113.9"
    v6 = rf.get("/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")
    assert clientip.client_key(v6) == "2001:db8:1:2::/64"


# --- no stack traces -------------------------------------------------------------------------

def test_api_error_is_json_without_details(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(code: str) -> Any:
        raise RuntimeError(f"database detail /srv/secret/path {RESIDENT_ID}")

    monkeypatch.setattr("pubcredit.subjects.queries.subject_by_code", broken)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="pubcredit.errors"):
        response = client.get("/api/v1/subjects/91330106MA2B3C4D5E")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "服务暂时不可用，请稍后重试。"}
    body = response.content.decode()
    assert "Traceback" not in body
    assert "secret" not in body
    assert any(r.exc_info for r in caplog.records)  # the server keeps the detail


def test_page_error_shows_no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal detail /srv/secret/path")

    monkeypatch.setattr("pubcredit.portal.views.queries.search", broken)
    response = Client(raise_request_exception=False).get("/search/", {"q": "杭州"})
    assert response.status_code == 500
    body = response.content.decode()
    assert "Traceback" not in body
    assert "secret" not in body
    assert "服务暂时不可用" in body


# --- logs ------------------------------------------------------------------------------------

def test_root_handler_masks_resident_ids_in_messages_and_tracebacks() -> None:
    root = logging.getLogger()
    handler = next(h for h in root.handlers if any(isinstance(x, MaskPersonalData) for x in h.filters))
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    old, handler.stream = handler.stream, stream  # not setStream: it flushes the old, maybe closed, stream
    try:
        logging.getLogger("pubcredit.test").warning("lookup of %s failed", RESIDENT_ID)
        try:
            raise ValueError(f"bad id {RESIDENT_ID}")
        except ValueError:
            logging.getLogger("pubcredit.test").exception("while reading")
    finally:
        handler.stream = old
    written = stream.getvalue()
    assert RESIDENT_ID not in written
    assert "330106********1234" in written
    assert "ValueError: bad id 330106********1234" in written


def test_filter_masks_a_record_before_any_handler_formats_it() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "id=%s name=%s", (RESIDENT_ID, "张三"), None)
    assert MaskPersonalData().filter(record)
    assert record.getMessage() == "id=330106********1234 name=张三"


# --- production settings ---------------------------------------------------------------------

def _settings_in_production(**env: str) -> subprocess.CompletedProcess[str]:
    code = ("import json, pubcredit.settings as s; print(json.dumps({k: getattr(s, k, None) for k in "
            "['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
            "'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'PUBCREDIT_RATE_LIMIT_ENABLED', "
            "'OIDC_RP_CLIENT_SECRET', 'AUTHENTICATION_BACKENDS', 'LOGIN_URL', 'PUBCREDIT_PUBLIC_URL']}))")
    full_env = {**os.environ, "PUBCREDIT_ENV": "production", "PUBCREDIT_PUBLIC_URL": "https://credit.example.gov.cn",
                **env}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True,  # noqa: S603
                          timeout=60, check=False)


def test_production_settings_are_secure_and_read_secrets_from_the_environment() -> None:
    result = _settings_in_production(PUBCREDIT_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
                                     OIDC_RP_CLIENT_ID="pubcredit", OIDC_RP_CLIENT_SECRET="from-the-env")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["PUBCREDIT_RATE_LIMIT_ENABLED"] is True
    assert values["OIDC_RP_CLIENT_SECRET"] == "from-the-env"
    assert "pubcredit.access.oidc.GovIdentityBackend" in values["AUTHENTICATION_BACKENDS"]
    assert values["LOGIN_URL"] == "/accounts/login/"
    assert values["PUBCREDIT_PUBLIC_URL"] == "https://credit.example.gov.cn"


@pytest.mark.parametrize(("value", "told"), [
    ("", "PUBCREDIT_PUBLIC_URL is not set"), ("credit.example.gov.cn", "must start with https://")])
def test_production_needs_the_public_address_reports_print(value: str, told: str) -> None:
    result = _settings_in_production(PUBCREDIT_PUBLIC_URL=value)
    assert result.returncode != 0
    assert told in result.stderr


def test_production_refuses_debug_and_a_missing_secret_key() -> None:
    debug = _settings_in_production(PUBCREDIT_DEBUG="1")
    assert debug.returncode != 0
    assert "PUBCREDIT_DEBUG=1 is refused" in debug.stderr
    no_key = _settings_in_production(SECRET_KEY="")
    assert no_key.returncode != 0
    assert "SECRET_KEY is not set" in no_key.stderr


# --- resident ID numbers looked up one by one ------------------------------------------------

@pytest.fixture
def person_limit(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PUBCREDIT_RATE_LIMIT_ENABLED = True
    settings.PUBCREDIT_RATE_LIMITS = [
        {"name": "api", "pattern": r"^/api/v1/subjects/", "requests": 100, "seconds": 60},
        {"name": "search", "pattern": r"^/search/", "requests": 100, "seconds": 60},
        {"name": "subject", "pattern": r"^/subjects/", "requests": 100, "seconds": 60},
    ]
    settings.PUBCREDIT_PERSON_CODE_LIMIT = {"requests": 3, "seconds": 3600}
    monkeypatch.setattr(ratelimit, "_last_cleanup", time.time())


def test_masked_ids_cannot_be_completed_by_trying_birth_dates(client: Client, person_limit: None) -> None:
    """A public page shows 330106********1234; trying the birth dates one by one is cut off after the
    limit, on every path that takes a code, found or not (found is what would give it away)."""
    candidates = [f.resident_id() for _ in range(3)]
    assert client.get("/search/", {"q": candidates[0]}).status_code in (200, 302, 404)
    assert client.get(f"/api/v1/subjects/{candidates[1]}").status_code == 404
    assert client.get(f"/subjects/{candidates[2]}/").status_code == 404
    for path, params in ((f"/api/v1/subjects/{f.resident_id()}", {}), ("/search/", {"q": f.resident_id()}),
                         (f"/subjects/{f.resident_id()}/report/", {})):
        refused = client.get(path, params)
        assert refused.status_code == 429, path
        assert "Retry-After" in refused
        assert 1 <= int(refused["Retry-After"]) <= 3600  # the hour's window
    # Organisations, names and invalid codes are not counted; nor is another client, nor a token's read.
    company = f.org()
    assert client.get(f"/api/v1/subjects/{company.uscc}").status_code == 200
    assert client.get("/search/", {"q": "杭州"}).status_code == 200
    assert client.get("/search/", {"q": "330106199001011230"}).status_code != 429  # wrong check character
    assert Client(REMOTE_ADDR="198.51.100.8").get(f"/api/v1/subjects/{f.resident_id()}").status_code == 404
    from pubcredit.access import tokens

    secret = tokens.create_agency_token(f.org("杭州查询征信有限公司"), name="t", actor="test").secret
    assert client.get(f"/api/v1/subjects/{f.resident_id()}",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 404


def test_full_width_or_lower_case_ids_count_too(client: Client, person_limit: None) -> None:
    code = f.resident_id()
    wide = code.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    for raw in (wide, code.lower(), f" {code} "):
        client.get("/search/", {"q": raw})
    assert client.get("/search/", {"q": f.resident_id()}).status_code == 429


@pytest.mark.parametrize("padded", ["search", "path", "groups"])
def test_padding_an_id_does_not_escape_the_limit(client: Client, person_limit: None, padded: str) -> None:
    """The look-ups strip and fold what they read; so does the limit (a reviewer padded the code with 41
    spaces: the limit read only the first 40 characters, the search found the person)."""
    rid = f.resident_id()
    f.person("张三", code=rid)
    for _ in range(3):
        client.get("/search/", {"q": f.resident_id()})
    if padded == "search":
        response = client.get("/search/", {"q": " " * 41 + rid})
    elif padded == "path":
        response = client.get("/api/v1/subjects/" + "%20" * 41 + rid)
    else:
        response = client.get("/search/", {"q": f"{rid[:6]} {rid[6:14]} {rid[14:]}"})
    assert response.status_code == 429
