"""Every public portal page answers what the reader of a request refuses with a 4xx error page, never a
500: an unknown or revoked API token, an ``Authorization`` header of another scheme than Bearer
(``access.readers.edge_parameters``: NotPermitted → 403), a NUL character in ``matter`` or ``purpose``
(InvalidInput → 400). Pages that do not read a subject ignore them (200), as they ignore a stray ``q``.

The special report (form and report) and the search page called ``reader_for_request`` outside their
error handling and answered 500 (reviewer's defect 4).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client

from pubcredit.access import tokens
from pubcredit.access.models import Role, User
from pubcredit.subjects.models import Subject
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db

#: Pages that build a reader for the request: (path, extra query). ``{c}`` is the subject's USCC.
READING_PAGES = [
    ("/search/", "q={c}"),  # an exact code: the search redirects to the subject's page
    ("/search/", "q=杭州"),
    ("/subjects/{c}/", ""),
    ("/subjects/{c}/report/", ""),
    ("/subjects/{c}/report.pdf", ""),
    ("/subjects/{c}/special-report/", ""),  # the form
    ("/subjects/{c}/special-report/", "from=2025-01-01"),  # the report
    ("/subjects/{c}/special-report.pdf", ""),
    ("/subjects/{c}/special-report.pdf", "from=2025-01-01"),
]
#: Public pages that read no subject: the reader's parameters do not matter to them.
OTHER_PAGES = [("/", ""), ("/catalog/", ""), ("/application-list/", ""), ("/verify/", "")]
#: The subject's own pages (logged in).
OWN_PAGES = [("/my/", ""), ("/my/query-log/", ""), ("/my/authorizations/", "")]

# What is wrong with the request → what it adds (headers, query), the status and title of a page that reads.
BAD_TOKEN = "pct_not-a-real-token"
WRONG: dict[str, tuple[dict[str, str], str, int, str]] = {
    "unknown_token": ({"Authorization": f"Bearer {BAD_TOKEN}"}, "", 403, "无权访问"),
    "not_a_token": ({"Authorization": "Bearer abc"}, "", 403, "无权访问"),
    "basic_scheme": ({"Authorization": "Basic abc"}, "", 403, "无权访问"),
    "nul_matter": ({}, "matter=%00&purpose=x", 400, "请求有误"),
    "nul_purpose": ({}, "matter=M1&purpose=a%00b", 400, "请求有误"),
}


def _url(path: str, query: str, extra: str, code: str) -> str:
    both = "&".join(q for q in (query, extra) if q)
    return path.format(c=code) + (f"?{both.format(c=code)}" if both else "")


def _assert_error_page(res: HttpResponse, status: int, title: str) -> None:
    assert res.status_code == status, res.content.decode()[:500]
    assert "portal/error.html" in [t.name for t in res.templates]
    assert f"<h1>{title}</h1>" in res.content.decode()


@pytest.fixture
def company() -> Subject:
    return f.org(name="杭州错误页测试有限公司")


@pytest.mark.parametrize("how", WRONG)
@pytest.mark.parametrize(("path", "query"), READING_PAGES)
def test_reading_pages_refuse_a_bad_reader_with_an_error_page(company: Subject, path: str, query: str,
                                                               how: str) -> None:
    headers, extra, status, title = WRONG[how]
    res = Client(raise_request_exception=False).get(_url(path, query, extra, company.uscc or ""), headers=headers)
    _assert_error_page(res, status, title)


def test_revoked_token_is_refused_on_the_special_report_and_the_search(company: Subject) -> None:
    issued = tokens.create_agency_token(f.org(name="杭州吊销令牌机构有限公司"), name="测试", actor="test")
    tokens.revoke_token(issued.token, actor="test")
    client = Client(raise_request_exception=False)
    special = f"/subjects/{company.uscc}/special-report/"
    for url in (special, f"{special}?from=2025-01-01", f"/search/?q={company.uscc}", "/search/?q=杭州"):
        res = client.get(url, headers={"Authorization": f"Bearer {issued.secret}"})
        _assert_error_page(res, 403, "无权访问")
        assert "接口令牌无效、已吊销或所属部门已停用" in res.content.decode()


def test_error_pages_name_what_is_wrong(company: Subject) -> None:
    client = Client(raise_request_exception=False)
    special = f"/subjects/{company.uscc}/special-report/"
    basic = client.get(special, headers={"Authorization": "Basic x"})
    assert "Authorization 头应为 Bearer 令牌" in basic.content.decode()
    assert "接口令牌无效" in client.get("/search/?q=杭州", headers={"Authorization": "Bearer x"}).content.decode()


@pytest.mark.parametrize("how", [*WRONG, "nul_q"])
@pytest.mark.parametrize(("path", "query"), OTHER_PAGES)
def test_pages_reading_no_subject_ignore_the_reader(company: Subject, path: str, query: str, how: str) -> None:
    headers, extra = WRONG[how][:2] if how in WRONG else ({}, "q=a%00b")
    res = Client(raise_request_exception=False).get(_url(path, query, extra, company.uscc or ""), headers=headers)
    assert res.status_code == 200


def test_nul_in_q_is_refused_by_the_search_and_ignored_elsewhere(company: Subject) -> None:
    client = Client(raise_request_exception=False)
    res = client.get("/search/?q=a%00b")
    assert res.status_code == 400
    assert "portal/search.html" in [t.name for t in res.templates]
    for path, query in READING_PAGES:
        if path == "/search/":
            continue
        clean = _url(path, query, "", company.uscc or "")
        assert client.get(_url(path, query, "q=a%00b", company.uscc or "")).status_code == client.get(clean).status_code


@pytest.fixture
def own_client() -> Callable[[], Client]:
    user = User.objects.create_user(username="read-errors-me", password="x-Long-pass-1", role=Role.SUBJECT,
                                    subject=f.org(name="杭州本人错误页有限公司"))

    def make() -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return make


@pytest.mark.parametrize("how", WRONG)
@pytest.mark.parametrize(("path", "query"), OWN_PAGES)
def test_own_pages_refuse_a_bad_reader_with_an_error_page(own_client: Callable[[], Client], path: str, query: str,
                                                          how: str) -> None:
    headers, extra, status, title = WRONG[how]
    res = own_client().get(_url(path, query, extra, ""), headers=headers)
    _assert_error_page(res, status, title)


@pytest.mark.parametrize("how", WRONG)
@pytest.mark.parametrize("path", ["/my/authorizations/", "/my/declarations/"])
def test_own_forms_refuse_a_bad_reader_when_posted(own_client: Callable[[], Client], path: str, how: str) -> None:
    headers, extra, status, title = WRONG[how]
    res = own_client().post(f"{path}?{extra}", {"revoke": "1"}, headers=headers)
    _assert_error_page(res, status, title)
