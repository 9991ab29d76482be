"""Back-office lists of large tables count at most COUNT_CAP rows and say when there are more."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pubcredit import adminkit
from pubcredit.codes.uscc import compute_org_code_check, compute_uscc_check
from pubcredit.subjects import pii
from pubcredit.subjects.models import Subject
from tests.access.helpers import make_user, verified_client
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


def test_the_paginator_counts_at_most_the_cap_plus_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adminkit, "COUNT_CAP", 3)
    for i in range(5):
        f.org(name=f"杭州计数第{i}有限公司")
    capped = adminkit.CappedCountPaginator(Subject.objects.order_by("id"), 2)
    with CaptureQueriesContext(connection) as captured:
        assert capped.count == 3
    assert capped.capped
    assert "LIMIT 4" in captured.captured_queries[0]["sql"]
    assert capped.num_pages == 2
    exact = adminkit.CappedCountPaginator(Subject.objects.filter(name__contains="第1").order_by("id"), 2)
    assert (exact.count, exact.capped) == (1, False)


def test_a_capped_list_says_so_and_an_exact_one_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adminkit, "COUNT_CAP", 3)
    for i in range(5):
        f.org(name=f"杭州列表第{i}有限公司")
    client = verified_client(make_user("operator", superuser=True))
    html = client.get("/admin/subjects/subject/").content.decode()
    assert "符合条件的记录超过 3 条，仅计数并列出前 3 条" in html
    assert "_facets" not in html  # no uncapped counts per filter choice on offer
    narrowed = client.get("/admin/subjects/subject/", {"q": "列表第2"}).content.decode()
    assert "杭州列表第2有限公司" in narrowed
    assert "符合条件的记录超过" not in narrowed


def _digits_uscc() -> str:
    """A valid USCC whose first 17 characters are digits, as many real ones are."""
    for n in range(10_000_000, 10_001_000):
        org = f"{n:08d}"
        check = compute_org_code_check(org)
        if check.isdigit():
            first17 = "91330108" + org + check
            return first17 + compute_uscc_check(first17)
    raise AssertionError("no all-digit organisation code found")


def test_the_subject_search_in_the_back_office_matches_part_of_a_name_or_the_whole_code() -> None:
    company = f.org(name="杭州后台检索测试有限公司")
    digits = f.org(name="杭州数字代码有限公司", code=_digits_uscc())
    person = f.person(name="王后台")
    f.org(name="杭州无关有限公司")
    client = verified_client(make_user("operator", superuser=True))

    def listed(q: str) -> set[str]:
        html = client.get("/admin/subjects/subject/", {"q": q}).content.decode()
        return {name for name in ("杭州后台检索测试有限公司", "杭州数字代码有限公司", "王后台", "杭州无关有限公司")
                if name in html}

    assert listed("后台检索") == {"杭州后台检索测试有限公司"}
    assert listed(company.uscc or "") == {"杭州后台检索测试有限公司"}
    # 17 digits and a check character: a resident ID number or a USCC; both are looked up
    assert listed(digits.uscc or "") == {"杭州数字代码有限公司"}
    assert listed(pii.decrypt_resident_id(bytes(person.resident_id_enc or b""))) == {"王后台"}


def test_the_records_search_in_the_back_office_finds_a_whole_key_or_a_subjects_records_by_index() -> None:
    from pubcredit.collection.models import Record
    from tests.factories import collection as rf
    from tests.factories.catalog import PublishedVersionFactory

    version = PublishedVersionFactory(open_level="public")
    company, other = f.org(name="杭州记录检索有限公司"), f.org(name="杭州另一家有限公司")
    wanted = rf.record(company, version, data={"CF_WSH": "杭检罚〔2025〕77号", "CF_SY": "事实"})
    rf.record(company, version, data={"CF_WSH": "杭检罚〔2025〕78号", "CF_SY": "事实"})
    rf.record(other, version, data={"CF_WSH": "杭检罚〔2025〕770号", "CF_SY": "事实"})
    client = verified_client(make_user("operator", superuser=True))

    def listed(q: str) -> set[str]:
        html = client.get("/admin/collection/record/", {"q": q}).content.decode()
        return {r.natural_key for r in Record.objects.all() if f">{r.natural_key}<" in html}

    assert listed("杭检罚〔2025〕77号") == {wanted.natural_key}  # whole key: not 770
    assert listed(" 杭检罚〔2025〕77号 ") == {wanted.natural_key}
    assert listed("杭检罚") == set()  # a part of a key is not searched (it read the whole table)
    assert listed(company.uscc or "") == {"杭检罚〔2025〕77号", "杭检罚〔2025〕78号"}
    assert listed((company.uscc or "").lower()) == {"杭检罚〔2025〕77号", "杭检罚〔2025〕78号"}
    assert "输入完整的记录编号" in client.get("/admin/collection/record/").content.decode()
    # The matching ids are found through indexes, never by reading the table.
    with CaptureQueriesContext(connection) as captured:
        client.get("/admin/collection/record/", {"q": "杭检罚〔2025〕77号"})
    finding = [q["sql"] for q in captured.captured_queries
               if 'FROM "collection_record"' in q["sql"] and '"natural_key" =' in q["sql"]]
    assert len(finding) == 1
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table: ask whether an index *can* serve it
        cursor.execute("EXPLAIN " + finding[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "record_version_unique" in plan


# --- what a changelist takes from the request (CheckedInputAdmin) ------------------------------

def test_every_registered_admin_checks_its_input() -> None:
    from django.contrib import admin

    missing = [type(model_admin).__name__ for model_admin in admin.site._registry.values()
               if not isinstance(model_admin, adminkit.CheckedInputAdmin)]
    assert missing == []


@pytest.mark.parametrize("forged", ["abc", "1.5", "", "a\x00b"])
def test_a_forged_selection_given_to_an_action_is_refused_and_changes_nothing(forged: str) -> None:
    from django.urls import reverse

    from pubcredit.access import tokens
    from pubcredit.access.models import ApiToken
    from tests.factories.catalog import DepartmentFactory

    issued = tokens.create_department_token(DepartmentFactory(code="forged-action"), name="系统", actor="test")
    client = verified_client(make_user("operator", "forged-op", superuser=True))
    url = reverse("admin:access_apitoken_changelist")
    res = client.post(url, {"action": "revoke_selected", "_selected_action": [str(issued.token.pk), forged],
                            "index": "0"})
    assert res.status_code == 302  # was a 500: the value went to the ORM as an id
    assert "所选条目无效" in client.get(url).content.decode()
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None


@pytest.mark.parametrize("url", ["/admin/collection/record/?status__exact=a%00b",
                                 "/admin/collection/batch/?status__exact=%00", "/admin/audit/auditentry/?a%00=1"])
def test_a_nul_in_a_filter_is_answered_as_a_bad_filter(url: str) -> None:
    client = verified_client(make_user("operator", "nul-filter-op", superuser=True))
    res = client.get(url)
    assert res.status_code == 302  # was a 500: PostgreSQL cannot compare text holding a NUL
    assert res["Location"].endswith("?e=1")
