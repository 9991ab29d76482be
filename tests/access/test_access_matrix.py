"""Art. 14, 27: every reader × every open level × every read path, declared once.

A read path is a function returning the set of catalog entry codes a reader saw for a subject.
Each new read path (PDF, batch, export…) is added to READ_PATHS and inherits every case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access import services, tokens
from pubcredit.access.models import QueryLog, Role, User
from pubcredit.catalog.models import CatalogVersion
from pubcredit.subjects.models import Subject
from tests.access.helpers import login_verified
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory, PublishedVersionFactory
from tests.reports import read_paths as report_paths

pytestmark = pytest.mark.django_db


@dataclass
class World:
    company: Subject
    versions: dict[str, CatalogVersion]  # level -> version
    codes: dict[str, str]  # level -> entry code


@pytest.fixture
def world() -> World:
    company = f.org(name="杭州矩阵测试有限公司")
    versions = {}
    for level in ("public", "authorized", "internal"):
        v = PublishedVersionFactory(open_level=level, entry__code=f"M-{level.upper()}", entry__name=f"条目-{level}")
        rf.record(company, v)
        versions[level] = v
    return World(company, versions, {lv: v.entry.code for lv, v in versions.items()})


def _api(client: Client, code: str, headers: dict[str, str], params: dict[str, str]) -> tuple[int, set[str]]:
    res = client.get(f"/api/v1/subjects/{code}", params, headers=headers)
    if res.status_code != 200:
        return res.status_code, set()
    body = res.json()
    return 200, {r["entry_code"] for cls in ("basic", "adverse", "trustworthy") for r in body[cls]}


def _page(client: Client, code: str, headers: dict[str, str], params: dict[str, str]) -> tuple[int, set[str]]:
    res = client.get(f"/subjects/{code}/", params, headers=headers)
    if res.status_code != 200:
        return res.status_code, set()
    html = res.content.decode()
    return 200, {f"M-{lv.upper()}" for lv in re.findall(r"条目-(public|authorized|internal)", html)}


READ_PATHS: dict[str, Callable[[Client, str, dict[str, str], dict[str, str]], tuple[int, set[str]]]] = {
    "api": _api,
    "page": _page,
    "report_json": report_paths.report_json,
    "report_page": report_paths.report_page,
    "report_pdf": report_paths.report_pdf,
}


def _user(role: str, **extra: Any) -> User:
    return User.objects.create_user(username=f"{role}-{User.objects.count()}", password="x-Long-pass-1", role=role,
                                    **extra)


# Each case: set up a reader, return (client, headers, params); expected levels seen (or an HTTP status).
def case_anonymous(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return Client(), {}, {}


def case_subject_itself(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    c = Client()
    c.force_login(_user(Role.SUBJECT, subject=w.company))
    return c, {}, {}


def case_other_subject(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    c = Client()
    c.force_login(_user(Role.SUBJECT, subject=f.org(name="杭州旁人有限公司")))
    return c, {}, {}


def _agency_with(w: World, **auth: Any) -> tuple[Client, dict[str, str], dict[str, str]]:
    agency = f.org(name="杭州信用服务有限公司")
    today = timezone.localdate()
    a = services.grant_authorization(subject=w.company, grantee=agency, purpose="贷款审查", valid_from=today,
                                     valid_until=today + timedelta(days=30), actor="test")
    if auth.get("revoked"):
        services.revoke_authorization(a, by_subject=w.company, actor="test")
    if auth.get("expired"):
        type(a).objects.filter(pk=a.pk).update(valid_from=today - timedelta(days=10),
                                               valid_until=today - timedelta(days=1))
    from pubcredit.access.models import ApiToken

    secret = "pct_test-agency-secret"
    ApiToken.objects.create(name="agency", prefix=secret[:12], digest=tokens._digest(secret), agency=agency,
                            created_by="test")
    return Client(), {"Authorization": f"Bearer {secret}"}, {}


def case_agency_authorized(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return _agency_with(w)


def case_agency_revoked(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return _agency_with(w, revoked=True)


def case_agency_expired(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return _agency_with(w, expired=True)


def case_org_account_authorized(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    bank = f.org(name="杭州某银行股份有限公司")
    today = timezone.localdate()
    services.grant_authorization(subject=w.company, grantee=bank, purpose="授信", valid_from=today,
                                 valid_until=today + timedelta(days=5), actor="test")
    c = Client()
    c.force_login(_user(Role.SUBJECT, subject=bank))
    return c, {}, {}


def _officer(w: World, *, entries: list[str], own_dept: bool = True, purpose: str = "行政许可审查",
             matter: bool = True) -> tuple[Client, dict[str, str], dict[str, str]]:
    dept = DepartmentFactory()
    matter_dept = dept if own_dept else DepartmentFactory()
    if matter:
        services.define_matter(department=matter_dept, code="xk-shencha", name="行政许可审查",
                               legal_basis="《行政许可法》", entries=[w.versions[lv].entry for lv in entries],
                               actor="test")
    c = Client()
    login_verified(c, _user(Role.OFFICER, department=dept, is_staff=True))  # one-time code passed
    params = {"matter": "xk-shencha", "purpose": purpose} if matter else {}
    return c, {}, params


def case_officer_matter_internal(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return _officer(w, entries=["internal"])


def case_officer_matter_both(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return _officer(w, entries=["internal", "authorized"])


def case_officer_without_matter(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return _officer(w, entries=[], matter=False)


def case_officer_other_departments_matter(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return _officer(w, entries=["internal"], own_dept=False)


def case_officer_without_purpose(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return _officer(w, entries=["internal"], purpose="")


def case_department_token_with_matter(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    dept = DepartmentFactory()
    services.define_matter(department=dept, code="zf-caigou", name="政府采购供应商审查", legal_basis="《政府采购法》",
                           entries=[w.versions["internal"].entry], actor="test")
    issued = tokens.create_department_token(dept, name="采购系统", actor="test")
    return Client(), {"Authorization": f"Bearer {issued.secret}"}, {"matter": "zf-caigou", "purpose": "供应商资格审查"}


def case_operator(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    c = Client()
    login_verified(c, _user(Role.OPERATOR, is_staff=True))
    return c, {}, {}


def case_auditor(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    c = Client()
    login_verified(c, _user(Role.AUDITOR, is_staff=True))
    return c, {}, {}


def case_bad_token(w: World) -> tuple[Client, dict[str, str], dict[str, str]]:
    return Client(), {"Authorization": "Bearer pct_not-a-real-token"}, {}


P, A, N = "public", "authorized", "internal"
# case -> (levels seen, or an HTTP status; whether a query-log row is expected)
MATRIX: dict[Callable[[World], Any], tuple[set[str] | int, bool]] = {
    case_anonymous: ({P}, False),
    case_subject_itself: ({P, A, N}, False),
    case_other_subject: ({P}, False),
    case_agency_authorized: ({P, A}, True),
    case_agency_revoked: ({P}, False),
    case_agency_expired: ({P}, False),
    case_org_account_authorized: ({P, A}, True),
    case_officer_matter_internal: ({P, N}, True),
    case_officer_matter_both: ({P, A, N}, True),
    case_officer_without_matter: ({P}, False),
    case_officer_other_departments_matter: (403, False),
    case_officer_without_purpose: (400, False),
    case_department_token_with_matter: ({P, N}, True),
    case_operator: ({P}, False),
    case_auditor: ({P}, False),
    case_bad_token: (403, False),
}


@pytest.mark.parametrize("path", sorted(READ_PATHS))
@pytest.mark.parametrize("case", list(MATRIX), ids=lambda c: c.__name__.removeprefix("case_"))
def test_reader_sees_exactly_their_levels(world: World, case: Callable[[World], Any], path: str) -> None:
    expected, logged = MATRIX[case]
    client, headers, params = case(world)
    if path.endswith("page") and headers and "Authorization" in headers:
        pytest.skip("API tokens are for the API; pages use sessions")
    status, seen = READ_PATHS[path](client, world.company.uscc or "", headers, params)
    if isinstance(expected, int):
        assert status == expected
        return
    assert status == 200
    assert seen == {world.codes[lv] for lv in expected}
    rows = QueryLog.objects.filter(subject=world.company)
    assert rows.exists() is logged
    if logged:
        row = rows.get()
        assert set(row.levels) == expected - {P}
        assert row.purpose
        assert row.channel == ("web" if path.endswith("page") else "api")


def test_back_office_records_are_limited_to_the_officers_own_department(world: World) -> None:
    """The admin is a read path too: an officer sees only records their department submitted."""
    from django.contrib.auth.models import Permission

    from tests.access.helpers import login_verified

    own = world.versions["public"].entry.department
    officer = _user(Role.OFFICER, department=own, is_staff=True)
    officer.user_permissions.set(Permission.objects.filter(codename="view_record"))
    c = Client()
    login_verified(c, officer)
    html = c.get("/admin/collection/record/").content.decode()
    assert world.codes["public"] in html
    assert world.codes["internal"] not in html
    assert world.codes["authorized"] not in html
