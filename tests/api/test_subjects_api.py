from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.catalog import PublishedVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Client:
    return Client()


def test_known_organisation_with_public_records_only(api: Client) -> None:
    company = f.org(name="杭州公开测试有限公司")
    public = PublishedVersionFactory(open_level="public")
    internal = PublishedVersionFactory(open_level="internal")
    authorized = PublishedVersionFactory(open_level="authorized")
    rf.record(company, public)
    rf.record(company, internal)
    rf.record(company, authorized)
    res = api.get(f"/api/v1/subjects/{company.uscc}")
    assert res.status_code == 200
    body = res.json()
    assert body["name"] == "杭州公开测试有限公司"
    assert body["code"] == company.uscc
    assert body["levels"] == ["public"]
    assert [r["open_level"] for r in body["adverse"]] == ["public"]
    assert body["adverse"][0]["department"] == public.entry.department.name
    assert {f["name"] for f in body["adverse"][0]["fields"]} >= {"CF_WSH", "CF_JDRQ"}


def test_lowercase_code_is_accepted(api: Client) -> None:
    company = f.org()
    assert api.get(f"/api/v1/subjects/{company.uscc.lower()}").status_code == 200


def test_unknown_wellformed_code_is_404(api: Client) -> None:
    res = api.get(f"/api/v1/subjects/{f.uscc()}")
    assert res.status_code == 404
    assert res.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91110000600037341", "18"),          # too short
        ("91110000600037341I", "I"),          # character never used
        ("91110000600037341X", "校验"),       # wrong check character
        ("110101199902300015", "出生"),       # resident ID with an impossible birth date
        ("abc", "18"),
    ],
)
def test_malformed_code_is_400_with_reason(api: Client, code: str, words: str) -> None:
    res = api.get(f"/api/v1/subjects/{code}")
    assert res.status_code == 400
    body = res.json()
    assert body["field"] == "code"
    assert words in body["message"]


def test_person_is_masked_for_the_public(api: Client) -> None:
    rid = f.resident_id(birth=date(1980, 2, 2))
    f.person(name="欧阳修文", code=rid)
    res = api.get(f"/api/v1/subjects/{rid}")
    assert res.status_code == 200
    body = res.json()
    assert body["code"] == rid[:6] + "********" + rid[-4:]
    assert body["name"] != "欧阳修文"
    assert body["name"].startswith("欧")
    assert rid not in res.content.decode()


def test_expired_adverse_record_is_not_disclosed(api: Client) -> None:
    company = f.org()
    v = PublishedVersionFactory(disclosure_months=12)
    rf.record(company, v, decision=date(2020, 1, 1))
    rf.record(company, v, decision=timezone.localdate())
    body = api.get(f"/api/v1/subjects/{company.uscc}").json()
    assert len(body["adverse"]) == 1


def test_superseded_and_revoked_versions_are_not_shown(api: Client) -> None:
    company = f.org()
    v = PublishedVersionFactory()
    rf.record(company, v, status="revoked")
    assert api.get(f"/api/v1/subjects/{company.uscc}").json()["adverse"] == []


def test_openapi_document_lists_the_endpoint(api: Client) -> None:
    res = api.get("/api/v1/openapi.json")
    assert res.status_code == 200
    doc = res.json()
    assert "/api/v1/subjects/{code}" in doc["paths"]
    responses = doc["paths"]["/api/v1/subjects/{code}"]["get"]["responses"]
    assert {"200", "400", "404"} <= set(responses)
