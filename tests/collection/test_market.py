"""Market credit information (Art. 15, 17, 35): self-declared on the portal, shared by authorised agencies.

Runs against the shipped catalog (entries ``market-self-declared`` and ``market-agency-shared``),
loaded once per module by the ``catalog`` fixture; every test rolls back its own writes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access import services as access_services
from pubcredit.access import tokens
from pubcredit.access.models import Role, User
from pubcredit.audit.models import AuditEntry
from pubcredit.catalog import queries as catalog_queries
from pubcredit.collection import market, rules
from pubcredit.collection.models import Record, RecordSource, RecordStatus
from pubcredit.errors import Conflict, InvalidInput, NotPermitted
from pubcredit.subjects.models import Subject
from tests.factories import subjects as f

pytestmark = pytest.mark.usefixtures("catalog")

ACTOR = "test:subject"
OCCURRED = date(2025, 11, 3)


def _declare(subject: Subject, **overrides: Any) -> Record:
    values: dict[str, Any] = {"title": "ISO 9001 质量管理体系认证", "category": "资质认证",
                              "content": "2025 年 11 月取得 ISO 9001:2015 认证证书，有效期三年。",
                              "occurred_on": OCCURRED, "evidence_ref": "CQC-2025-0001"}
    values.update(overrides)
    return market.declare(subject=subject, actor=ACTOR, **values)


def _events(event: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(event=event).order_by("id"))


def _market_records() -> int:
    return Record.objects.filter(entry__code__startswith="market-").count()


# --- the catalog entries ---------------------------------------------------------------------


def test_the_two_entries_are_published_under_the_platform_unit(db: None) -> None:
    declared = catalog_queries.published_version(market.SELF_DECLARED_ENTRY)
    shared = catalog_queries.published_version(market.AGENCY_SHARED_ENTRY)
    assert declared.entry.department.code == shared.entry.department.code == "hz-xyzx"
    assert declared.entry.department.name == "杭州市公共信用信息工作机构"
    assert (declared.open_level, shared.open_level) == ("public", "authorized")
    assert declared.entry.info_class == shared.entry.info_class == "basic"
    assert set(declared.subject_kinds) == set(shared.subject_kinds) == {"legal_person", "unincorporated_org",
                                                                       "natural_person"}
    categories = next(s for s in declared.fields if s["name"] == "category")["allowed"]
    assert categories == ["资质认证", "荣誉奖项", "履约记录", "纳税证明", "社会责任", "其他"]
    assert shared.natural_key == ["agency_uscc", "reference_no"]


# --- self-declaration through the service ----------------------------------------------------


def test_declare_writes_a_self_declared_public_record_with_its_audit_entry(db: None) -> None:
    company = f.org(name="杭州申报测试有限公司")
    record = _declare(company)
    assert (record.source, record.status, record.open_level, record.info_class) == (
        RecordSource.SELF_DECLARED, RecordStatus.ACTIVE, "public", "basic")
    assert record.entry.code == market.SELF_DECLARED_ENTRY
    assert record.department.code == "hz-xyzx"
    assert record.natural_key.startswith(market.DECLARATION_PREFIX)
    assert record.data == {"declaration_no": record.natural_key, "subject_uscc": company.uscc,
                           "title": "ISO 9001 质量管理体系认证", "category": "资质认证",
                           "content": "2025 年 11 月取得 ISO 9001:2015 认证证书，有效期三年。",
                           "occurred_on": "2025-11-03", "evidence_ref": "CQC-2025-0001"}
    assert record.content_hash == rules.content_hash(record.data)
    assert record.decision_date == OCCURRED
    [event] = _events("collection:declaration:declared")
    assert (event.subject_id, event.object_id, event.actor) == (company.pk, str(record.pk), ACTOR)
    assert event.data["outcome"] == "created"


def test_a_person_declaration_keeps_only_the_masked_id(db: None) -> None:
    person = f.person(name="王申报")
    record = _declare(person, category="荣誉奖项", title="区级优秀志愿者", evidence_ref="")
    assert record.data["subject_id_no"] == person.resident_id_masked
    assert "*" in record.data["subject_id_no"]
    assert "evidence_ref" not in record.data


def test_resident_id_numbers_in_declared_text_are_masked_before_they_are_stored(db: None) -> None:
    """Declared text is published as typed: an ID number in it (a certificate holder's) is masked, in
    the stored record and so on every page (a reviewer's finding, session 12)."""
    company = f.org(name="杭州申报含证号有限公司")
    someone = f.resident_id()
    record = _declare(company, title="项目负责人资质", content=f"项目负责人王某，身份证号 {someone}，持一级建造师证。",
                      evidence_ref=f"证书持有人 {someone.lower()}")
    stored = json.dumps(record.data, ensure_ascii=False)
    assert someone not in stored
    assert someone.lower() not in stored
    assert f"身份证号 {someone[:6]}********{someone[14:]}，" in record.data["content"]
    page = Client().get(f"/subjects/{company.uscc}/").content.decode()
    assert "项目负责人资质" in page
    assert someone not in page


def test_an_agency_shares_no_id_number_in_clear_either(db: None) -> None:
    company, agency = f.org(name="杭州被共享有限公司"), f.org(name="杭州共享征信有限公司")
    today = timezone.localdate()
    access_services.grant_authorization(subject=company, grantee=agency, purpose="共享", valid_from=today,
                                        valid_until=today + timedelta(days=30), actor="test")
    someone = f.resident_id()
    shared = market.share(agency=agency, subject_code=company.uscc or "", item="合同履约",
                          content=f"担保人 {someone} 已履约", occurred_on=OCCURRED, reference_no="HT-2025-0001",
                          actor="test")
    assert shared is not None
    record = Record.objects.get(entry__code=market.AGENCY_SHARED_ENTRY, subject=company)
    assert record.data["content"] == f"担保人 {someone[:6]}********{someone[14:]} 已履约"


def test_the_same_declaration_again_is_unchanged_and_new_content_is_a_new_version(db: None) -> None:
    company = f.org()
    first = _declare(company)
    assert _declare(company).pk == first.pk
    assert Record.objects.filter(natural_key=first.natural_key).count() == 1
    second = _declare(company, content="证书范围扩大到全部产品线。")
    assert (second.natural_key, second.version, second.status) == (first.natural_key, 2, RecordStatus.ACTIVE)
    first.refresh_from_db()
    assert first.status == RecordStatus.SUPERSEDED
    assert [e.data["outcome"] for e in _events("collection:declaration:declared")] == ["created", "corrected"]
    other = _declare(company, title="ISO 14001 环境管理体系认证")
    assert other.natural_key != first.natural_key


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"title": "  "}, "title", "申报事项不能为空"),
    ({"title": "认" * 101}, "title", "申报事项：不能超过 100 个字符"),
    ({"content": ""}, "content", "申报内容不能为空"),
    ({"content": "长" * 2001}, "content", "申报内容：不能超过 2000 个字符"),
    ({"category": "信用评级"}, "category", "申报类别：取值“信用评级”不在允许的取值中"),
    ({"occurred_on": "2025-13-01"}, "occurred_on", "发生日期："),
    ({"occurred_on": "去年"}, "occurred_on", "发生日期：日期应为 YYYY-MM-DD 格式"),
    ({"occurred_on": None}, "occurred_on", "发生日期不能为空"),
    ({"evidence_ref": "x" * 201}, "evidence_ref", "证明材料编号或链接：不能超过 200 个字符"),
    ({"content": "履约\x00良好"}, "content", "空字符（U+0000）"),  # PostgreSQL cannot store it (was a 500)
])
def test_declaration_errors_name_the_field_and_write_nothing(db: None, overrides: dict[str, Any], field: str,
                                                             words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        _declare(f.org(), **overrides)
    assert err.value.field == field
    assert words in err.value.message
    assert _market_records() == 0
    assert not _events("collection:declaration:declared")


def test_a_date_in_the_future_is_refused(db: None) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(InvalidInput, match="发生日期不能晚于今天") as err:
        _declare(f.org(), occurred_on=tomorrow)
    assert err.value.field == "occurred_on"


def test_withdraw_revokes_with_reason_and_audit_entry(db: None) -> None:
    company = f.org()
    record = _declare(company)
    withdrawn = market.withdraw_declaration(record, subject=company, actor=ACTOR)
    assert withdrawn.status == RecordStatus.REVOKED
    assert "第三十五条" in withdrawn.status_reason
    assert withdrawn.status_changed_at is not None
    [event] = _events("collection:declaration:withdrawn")
    assert (event.data["before"], event.data["after"]) == ("active", "revoked")
    with pytest.raises(Conflict, match="已撤回"):
        market.withdraw_declaration(record.pk, subject=company, actor=ACTOR)
    # declaring it again later is a new version of the same declaration
    again = _declare(company)
    assert (again.natural_key, again.version) == (record.natural_key, 2)


def test_another_subject_cannot_withdraw_and_public_records_cannot_be_withdrawn(db: None) -> None:
    owner, other = f.org(name="杭州申报方有限公司"), f.org(name="杭州他方有限公司")
    record = _declare(owner)
    with pytest.raises(NotPermitted, match="只能撤回本主体自主申报的信息"):
        market.withdraw_declaration(record, subject=other, actor=ACTOR)
    shared = _share_ok(owner, f.org(name="杭州征信甲有限公司"))
    with pytest.raises(NotPermitted):
        market.withdraw_declaration(shared.record, subject=owner, actor=ACTOR)
    record.refresh_from_db()
    assert record.status == RecordStatus.ACTIVE


def test_declarations_of_lists_the_current_and_withdrawn_versions_in_one_query(
        db: None, django_assert_num_queries: Any) -> None:
    company = f.org()
    kept = _declare(company)
    _declare(company, content="修改后的内容")
    gone = _declare(company, title="市级守合同重信用企业", category="荣誉奖项")
    market.withdraw_declaration(gone, subject=company, actor=ACTOR)
    _declare(f.org())  # someone else's
    with django_assert_num_queries(1):
        rows = market.declarations_of(company)
    assert [(r.title, r.version, r.is_active) for r in rows] == [
        ("市级守合同重信用企业", 1, False), ("ISO 9001 质量管理体系认证", 2, True)]
    assert rows[1].declaration_no == kept.natural_key
    assert rows[0].withdrawn_at is not None


# --- the portal page -------------------------------------------------------------------------


@pytest.fixture
def me(db: None) -> tuple[Client, Subject]:
    company = f.org(name="杭州门户申报有限公司")
    user = User.objects.create_user(username="declarer", password="x-Long-pass-1", role=Role.SUBJECT,
                                    subject=company)
    client = Client()
    client.force_login(user)
    return client, company


def _form(**overrides: str) -> dict[str, str]:
    data = {"title": "2025 年度纳税信用 A 级", "category": "纳税证明", "content": "经税务机关评定为 A 级纳税人。",
            "occurred_on": "2025-04-20", "evidence_ref": ""}
    data.update(overrides)
    return data


def test_page_needs_a_subject_login(db: None) -> None:
    res = Client().get("/my/declarations/")
    assert res.status_code == 302
    assert "login" in res["Location"]
    unbound = User.objects.create_user(username="unbound", password="x-Long-pass-1", role=Role.SUBJECT)
    client = Client()
    client.force_login(unbound)
    assert client.get("/my/declarations/").status_code == 403


def test_declare_and_withdraw_through_the_page(me: tuple[Client, Subject]) -> None:
    client, company = me
    html = client.get("/my/declarations/").content.decode()
    assert 'href="/my/declarations/"' in html  # the navigation link
    assert "尚未申报任何信息" in html
    res = client.post("/my/declarations/", _form())
    assert res.status_code == 302
    record = Record.objects.get(subject=company, source=RecordSource.SELF_DECLARED)
    html = client.get("/my/declarations/").content.decode()
    assert "2025 年度纳税信用 A 级" in html
    assert "申报已提交" in html
    assert f'name="withdraw" value="{record.pk}"' in html
    res = client.post("/my/declarations/", {"withdraw": str(record.pk)})
    assert res.status_code == 302
    record.refresh_from_db()
    assert record.status == RecordStatus.REVOKED
    html = client.get("/my/declarations/").content.decode()
    assert "已撤回" in html
    assert f'name="withdraw" value="{record.pk}"' not in html


def test_page_errors_sit_next_to_the_field_and_keep_the_input(me: tuple[Client, Subject]) -> None:
    client, _company = me
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    res = client.post("/my/declarations/", _form(title="认" * 101, occurred_on=future))
    assert res.status_code == 400
    html = res.content.decode()
    assert 'id="id_title_error"' in html
    assert "100" in html
    assert "认" * 101 in html  # what was typed is kept
    res = client.post("/my/declarations/", _form(occurred_on=future))
    assert res.status_code == 400
    html = res.content.decode()
    assert 'id="id_occurred_on_error"' in html
    assert "发生日期不能晚于今天" in html
    assert 'value="2025 年度纳税信用 A 级"' in html
    res = client.post("/my/declarations/", _form(category="信用评级"))
    assert res.status_code == 400
    assert 'id="id_category_error"' in res.content.decode()
    assert _market_records() == 0


def test_page_refuses_to_withdraw_another_subjects_declaration(me: tuple[Client, Subject]) -> None:
    client, _company = me
    theirs = _declare(f.org(name="杭州他人申报有限公司"))
    res = client.post("/my/declarations/", {"withdraw": str(theirs.pk)}, follow=True)
    assert "只能撤回本主体自主申报的信息" in res.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == RecordStatus.ACTIVE
    res = client.post("/my/declarations/", {"withdraw": "not-a-number"}, follow=True)
    assert res.status_code == 200


def test_a_declaration_is_public_and_marked_on_the_subject_page_and_in_the_report(db: None) -> None:
    company = f.org(name="杭州公开申报有限公司")
    record = _declare(company)
    html = Client().get(f"/subjects/{company.uscc}/").content.decode()
    assert "ISO 9001 质量管理体系认证" in html
    assert '<span class="badge warn">自主申报</span>' in html
    report = Client().get(f"/api/v1/subjects/{company.uscc}/report")
    assert report.status_code == 200, report.content
    sections = {s["key"]: s for s in report.json()["content"]["sections"]}
    [item] = sections["self_declared"]["items"]
    assert (item["record_id"], item["source"], item["entry_code"]) == (record.pk, "self_declared",
                                                                        market.SELF_DECLARED_ENTRY)
    assert "自主申报" in item["marks"]
    assert not sections["basic"]["items"]
    market.withdraw_declaration(record, subject=company, actor=ACTOR)
    assert "ISO 9001 质量管理体系认证" not in Client().get(f"/subjects/{company.uscc}/").content.decode()


# --- sharing by credit agencies --------------------------------------------------------------

def _agency_token(agency: Subject) -> dict[str, str]:
    issued = tokens.create_agency_token(agency, name="市场信用信息共享", actor="test")
    return {"Authorization": f"Bearer {issued.secret}"}


def _authorize(subject: Subject, agency: Subject, *, start: int = 0, days: int = 30, today: date | None = None) -> Any:
    base = today or timezone.localdate()
    return access_services.grant_authorization(
        subject=subject, grantee=agency, purpose="履约信息共享", valid_from=base + timedelta(days=start),
        valid_until=base + timedelta(days=start + days), actor="test", today=today)


def _body(subject: Subject, **overrides: Any) -> dict[str, Any]:
    body = {"subject_code": subject.uscc, "item": "合同履约评价", "content": "2025 年度供货合同全部按期履行。",
            "occurred_on": "2025-12-31", "reference_no": "LY-2025-0001"}
    body.update(overrides)
    return body


def _post(body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return Client().post("/api/v1/market-records", body, content_type="application/json", headers=headers or {})


def _share_ok(subject: Subject, agency: Subject, **overrides: Any) -> market.SharedRecord:
    _authorize(subject, agency)
    return market.share(agency=agency, subject_code=subject.uscc or "", actor="agency:test",
                        **{k: v for k, v in _body(subject, **overrides).items() if k != "subject_code"})


def test_an_authorised_agency_shares_and_only_authorised_readers_see_it(db: None) -> None:
    company, agency = f.org(name="杭州被共享有限公司"), f.org(name="杭州征信服务有限公司")
    _authorize(company, agency)
    bearer = _agency_token(agency)
    res = _post(_body(company), bearer)
    assert res.status_code == 201, res.content
    out = res.json()
    assert (out["outcome"], out["version"], out["source"], out["open_level"]) == ("created", 1, "market", "authorized")
    record = Record.objects.get(pk=out["id"])
    assert record.data["agency_name"] == "杭州征信服务有限公司"
    assert record.data["agency_uscc"] == agency.uscc
    assert record.natural_key == f"{agency.uscc}|LY-2025-0001"
    [event] = _events("collection:market_record:shared")
    assert event.data["authorization"] is not None
    seen = Client().get(f"/api/v1/subjects/{company.uscc}", headers=bearer).json()
    assert [r["entry_code"] for r in seen["basic"]] == [market.AGENCY_SHARED_ENTRY]
    public = Client().get(f"/api/v1/subjects/{company.uscc}").json()
    assert public["basic"] == []
    assert "合同履约评价" not in Client().get(f"/subjects/{company.uscc}/").content.decode()


def test_resending_is_unchanged_and_changed_content_is_a_new_version(db: None) -> None:
    company, agency = f.org(), f.org(name="杭州征信乙有限公司")
    _authorize(company, agency)
    bearer = _agency_token(agency)
    first = _post(_body(company), bearer).json()
    again = _post(_body(company), bearer)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["outcome"]) == (first["id"], "unchanged")
    changed = _post(_body(company, content="一份合同延期 10 天交付，已协商一致。"), bearer)
    assert changed.status_code == 201
    assert (changed.json()["outcome"], changed.json()["version"]) == ("corrected", 2)
    old = Record.objects.get(pk=first["id"])
    assert old.status == RecordStatus.SUPERSEDED
    assert f"由信用服务机构 {agency.uscc} 更正" == old.status_reason
    assert [e.data["outcome"] for e in _events("collection:market_record:shared")] == ["created", "corrected"]
    # another agency's number never touches this one's record
    other = f.org(name="杭州征信丙有限公司")
    _authorize(company, other)
    res = _post(_body(company), _agency_token(other))
    assert (res.status_code, res.json()["version"]) == (201, 1)


@pytest.mark.parametrize("case", ["none", "expired", "revoked", "not_yet", "other_agency"])
def test_without_a_valid_authorisation_sharing_is_refused_and_nothing_is_written(db: None, case: str) -> None:
    company, agency = f.org(name="杭州未授权有限公司"), f.org(name="杭州征信丁有限公司")
    today = timezone.localdate()
    if case == "expired":
        _authorize(company, agency, days=10, today=today - timedelta(days=30))
    elif case == "revoked":
        auth = _authorize(company, agency)
        access_services.revoke_authorization(auth, by_subject=company, actor="test")
    elif case == "not_yet":
        _authorize(company, agency, start=2)
    elif case == "other_agency":
        _authorize(company, f.org(name="杭州另一征信有限公司"))
    res = _post(_body(company), _agency_token(agency))
    assert res.status_code == 403, res.content
    assert "授权" in res.json()["message"]
    assert res.json()["field"] == "subject_code"
    assert _market_records() == 0
    assert not _events("collection:market_record:shared")


def test_a_person_can_authorise_an_agency_and_only_the_masked_id_is_stored(db: None) -> None:
    agency = f.org(name="杭州征信戊有限公司")
    resident_id = f.resident_id()
    person = f.person(name="赵共享", code=resident_id)
    _authorize(person, agency)
    res = _post(_body(person, subject_code=resident_id), _agency_token(agency))
    assert res.status_code == 201, res.content
    record = Record.objects.get(pk=res.json()["id"])
    assert record.data["subject_id_no"] == person.resident_id_masked
    assert resident_id not in str(record.data)
    assert res.json()["subject_code"] == person.resident_id_masked


def test_the_api_wants_an_agency_token(db: None) -> None:
    company, agency = f.org(), f.org(name="杭州征信己有限公司")
    _authorize(company, agency)
    assert _post(_body(company)).status_code == 401
    assert _post(_body(company), {"Authorization": "Bearer pct_unknown"}).status_code == 403
    dept = catalog_queries.department_by_code("hz-scjgj")
    issued = tokens.create_department_token(dept, name="市场监管", actor="test")
    res = _post(_body(company), {"Authorization": f"Bearer {issued.secret}"})
    assert res.status_code == 403
    assert "信用服务机构" in res.json()["message"]
    assert _market_records() == 0


@pytest.mark.parametrize(("overrides", "status", "field", "words"), [
    ({"item": ""}, 400, "item", "信息事项不能为空"),
    ({"item": "项" * 101}, 400, "item", "不能超过 100 个字符"),
    ({"content": "  "}, 400, "content", "信息内容不能为空"),
    ({"occurred_on": "2025-02-30"}, 400, "occurred_on", "发生日期："),
    ({"occurred_on": "2999-01-01"}, 400, "occurred_on", "发生日期不能晚于今天"),
    ({"reference_no": ""}, 400, "reference_no", "机构记录编号不能为空"),
    ({"subject_code": "91330106ABC"}, 400, "subject_code", ""),
    ({"subject_code": None}, 400, "subject_code", ""),
    ({"item": None}, 400, "item", ""),
])
def test_field_errors_answer_400_naming_the_field(db: None, overrides: dict[str, Any], status: int, field: str,
                                                  words: str) -> None:
    company, agency = f.org(), f.org(name="杭州征信庚有限公司")
    _authorize(company, agency)
    res = _post(_body(company, **overrides), _agency_token(agency))
    assert res.status_code == status, res.content
    assert res.json()["field"] == field
    assert words in res.json()["message"]
    assert _market_records() == 0


def test_unknown_subject_is_404_and_a_number_cannot_move_to_another_subject(db: None) -> None:
    agency = f.org(name="杭州征信辛有限公司")
    bearer = _agency_token(agency)
    res = _post(_body(f.org(), subject_code=f.uscc()), bearer)
    assert (res.status_code, res.json()["field"]) == (404, "subject_code")
    first, second = f.org(name="杭州甲方有限公司"), f.org(name="杭州乙方有限公司")
    _authorize(first, agency)
    _authorize(second, agency)
    assert _post(_body(first), bearer).status_code == 201
    res = _post(_body(second, content="另一主体"), bearer)
    assert res.status_code == 409
    assert Record.objects.filter(subject=second).count() == 0


def test_the_service_refuses_a_person_as_agency(db: None) -> None:
    company, person = f.org(), f.person()
    with pytest.raises(NotPermitted, match="法人、非法人组织"):
        market.share(agency=person, subject_code=company.uscc or "", item="x", content="y", occurred_on="2025-01-01",
                     reference_no="1", actor="t")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("content", "履约\ud800良好", "U+D800"), ("item", "合同\x00评价", "U+0000"),
    ("reference_no", "LY\udfff", "U+DFFF"),
])
def test_shared_text_the_database_cannot_store_is_a_400_naming_the_field(db: None, field: str, value: str,
                                                                          words: str) -> None:
    # A lone surrogate arrives as a "\ud800" escape in the JSON body; both it and NUL were a 500.
    company, agency = f.org(name="杭州被共享有限公司"), f.org(name="杭州征信服务有限公司")
    _authorize(company, agency)
    body = json.dumps(_body(company, **{field: value}))
    res = Client().post("/api/v1/market-records", body, content_type="application/json",
                        headers=_agency_token(agency))
    assert res.status_code == 400, res.content
    assert res.json()["field"] == field
    assert words in res.json()["message"]
    assert _market_records() == 0


def test_a_shared_record_is_marked_as_market_information_on_every_channel(db: None) -> None:
    from pubcredit.reports.rules import MARKET_MARK

    company, agency = f.org(name="杭州标记主体有限公司"), f.org(name="杭州标记征信有限公司")
    _authorize(company, agency)
    bearer = _agency_token(agency)
    assert _post(_body(company), bearer).status_code == 201
    seen = Client().get(f"/api/v1/subjects/{company.uscc}", headers=bearer).json()
    assert [r["marks"] for r in seen["basic"]] == [[MARKET_MARK]]
    report = Client().get(f"/api/v1/subjects/{company.uscc}/report", headers=bearer).json()["content"]
    items = [it for section in report["sections"] for it in section["items"] if it["source"] == "market"]
    assert [it["marks"] for it in items] == [[MARKET_MARK]]
