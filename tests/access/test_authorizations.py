"""Art. 14, 17, 33: authorisations through the API, refused at once after revocation; the query log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access import services, tokens
from pubcredit.access.models import ApiToken, Authorization, QueryLog, Role, User
from pubcredit.errors import InvalidInput
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.catalog import PublishedVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_client() -> tuple[Client, User]:
    company = f.org(name="杭州授权方有限公司")
    user = User.objects.create_user(username="co", password="x-Long-pass-1", role=Role.SUBJECT, subject=company)
    c = Client(enforce_csrf_checks=False)
    c.force_login(user)
    return c, user


def _agency_token(agency_code: str) -> str:
    from pubcredit.subjects.models import Subject

    secret = "pct_agency-secret-for-tests"
    ApiToken.objects.create(name="a", prefix=secret[:12], digest=tokens._digest(secret),
                            agency=Subject.objects.get(uscc=agency_code), created_by="t")
    return secret


def test_grant_read_revoke_refused_on_next_use(company_client: tuple[Client, User]) -> None:
    client, user = company_client
    agency = f.org(name="杭州征信服务有限公司")
    v = PublishedVersionFactory(open_level="authorized", entry__code="AUTH-1")
    rf.record(user.subject, v)
    today = timezone.localdate()
    res = client.post("/api/v1/authorizations", {"grantee_code": agency.uscc, "purpose": "贷款审批",
                                                 "valid_from": today.isoformat(),
                                                 "valid_until": (today + timedelta(days=30)).isoformat()},
                      content_type="application/json")
    assert res.status_code == 201, res.content
    auth_id = res.json()["id"]
    assert res.json()["active"] is True

    agency_api = Client()
    bearer = {"Authorization": f"Bearer {_agency_token(agency.uscc)}"}
    seen = agency_api.get(f"/api/v1/subjects/{user.subject.uscc}", headers=bearer).json()
    assert [r["entry_code"] for r in seen["adverse"]] == ["AUTH-1"]

    res = client.post(f"/api/v1/authorizations/{auth_id}/revoke")
    assert res.status_code == 200
    assert res.json()["active"] is False
    seen = agency_api.get(f"/api/v1/subjects/{user.subject.uscc}", headers=bearer).json()
    assert seen["adverse"] == []
    assert client.post(f"/api/v1/authorizations/{auth_id}/revoke").status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": "   "}, "purpose"),
        ({"purpose": "贷款\x00审查"}, "purpose"),  # NUL: PostgreSQL cannot store it (was a 500)
        ({"valid_from": -1}, "valid_from"),
        ({"valid_until": -5}, "valid_until"),
        ({"valid_until": 2000}, "valid_until"),
    ],
)
def test_grant_refuses_bad_input_and_writes_nothing(company_client: tuple[Client, User], change: dict[str, object],
                                                    field: str) -> None:
    _client, user = company_client
    agency = f.org(name="杭州另一征信有限公司")
    today = timezone.localdate()
    args: dict[str, object] = {"purpose": "用途", "valid_from": today, "valid_until": today + timedelta(days=3)}
    for k, v in change.items():
        args[k] = today + timedelta(days=v) if isinstance(v, int) else v
    with pytest.raises(InvalidInput) as err:
        services.grant_authorization(subject=user.subject, grantee=agency, actor="t", **args)  # type: ignore[arg-type]
    assert err.value.field == field
    assert not Authorization.objects.exists()


def test_grant_to_a_person_is_refused(company_client: tuple[Client, User]) -> None:
    client, _user = company_client
    rid = f.resident_id()
    f.person(code=rid)
    today = timezone.localdate()
    res = client.post("/api/v1/authorizations", {"grantee_code": rid, "purpose": "x", "valid_from": today.isoformat(),
                                                 "valid_until": today.isoformat()}, content_type="application/json")
    assert res.status_code == 400
    assert res.json()["field"] == "grantee"


def test_anonymous_cannot_grant() -> None:
    assert Client().post("/api/v1/authorizations", {}, content_type="application/json").status_code == 401


def test_query_log_is_for_the_subject_only(company_client: tuple[Client, User]) -> None:
    client, user = company_client
    QueryLog.objects.create(subject=user.subject, reader_kind="agency", reader_name="杭州征信", levels=["authorized"],
                            entries=["AUTH-1"], purpose="贷款审批", channel="api")
    res = client.get(f"/api/v1/subjects/{user.subject.uscc}/query-log")
    assert res.status_code == 200
    body = res.json()
    assert body["count"] == 1
    assert body["items"][0]["purpose"] == "贷款审批"
    item = body["items"][0]  # in words, as the 谁查询了我 page shows it
    assert (item["reader_label"], item["level_labels"], item["channel_label"]) == ("信用服务机构", ["授权查询"], "接口")
    assert Client().get(f"/api/v1/subjects/{user.subject.uscc}/query-log").status_code == 403
    other = Client()
    other.force_login(User.objects.create_user(username="o", password="x-Long-pass-1", role=Role.SUBJECT,
                                               subject=f.org(name="杭州无关有限公司")))
    assert other.get(f"/api/v1/subjects/{user.subject.uscc}/query-log").status_code == 403


def test_authorizing_subjects_are_those_whose_authorisation_is_valid_today() -> None:
    """The batch pre-filter of ``visibilities`` asks the same question as ``visibility`` (Art. 14)."""
    from pubcredit.access.readers import authorizing_subjects

    agency, other_agency = f.org(name="杭州批量征信有限公司"), f.org(name="杭州其他征信有限公司")
    today = timezone.localdate()
    valid, revoked, expired, future, to_other, none = (f.org() for _ in range(6))
    for subject, start, end in ((valid, today, today + timedelta(days=30)), (revoked, today, today),
                                (expired, today - timedelta(days=40), today - timedelta(days=1)),
                                (future, today + timedelta(days=1), today + timedelta(days=9))):
        Authorization.objects.create(subject=subject, grantee=agency, purpose="贷款审查", valid_from=start,
                                     valid_until=end, created_by="t")
    Authorization.objects.filter(subject=revoked).update(revoked_at=timezone.now())
    Authorization.objects.create(subject=to_other, grantee=other_agency, purpose="贷款审查", valid_from=today,
                                 valid_until=today, created_by="t")
    asked = [s.pk for s in (valid, revoked, expired, future, to_other, none)]
    assert authorizing_subjects(agency.pk, asked, today=today) == {valid.pk}
    assert authorizing_subjects(other_agency.pk, asked, today=today) == {to_other.pk}
    assert authorizing_subjects(agency.pk, [], today=today) == set()


@pytest.mark.parametrize("params", [{"offset": str(10**20)}, {"limit": str(10**20)}, {"offset": "-5", "limit": "0"}])
def test_query_log_paging_out_of_range_is_no_server_error(company_client: tuple[Client, User],
                                                         params: dict[str, str]) -> None:
    # An OFFSET past PostgreSQL's bigint range was a 500.
    client, user = company_client
    res = client.get(f"/api/v1/subjects/{user.subject.uscc}/query-log", params)
    assert res.status_code < 500, res.content


@pytest.mark.parametrize("when", [0, 1_900_000_000, "20261201"])
def test_grant_dates_must_be_iso_dates(company_client: tuple[Client, User], when: object) -> None:
    # A number was read as seconds since 1970: 1900000000 became 2030-03-17 (found by fuzzing).
    client, _user = company_client
    agency = f.org(name="杭州日期征信有限公司")
    today = timezone.localdate()
    until = (today + timedelta(days=30)).isoformat()
    res = client.post("/api/v1/authorizations", {"grantee_code": agency.uscc, "purpose": "贷款审批",
                                                 "valid_from": when, "valid_until": until},
                      content_type="application/json")
    assert res.status_code == 400, res.content
    assert res.json()["field"] == "valid_from"
    assert not Authorization.objects.exists()
