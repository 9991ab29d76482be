"""Back-office lists of large tables count at most COUNT_CAP rows and say when there are more."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pubcredit import adminkit
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


def test_the_subject_search_in_the_back_office_matches_part_of_a_name_or_the_whole_code() -> None:
    company = f.org(name="杭州后台检索测试有限公司")
    f.org(name="杭州无关有限公司")
    client = verified_client(make_user("operator", superuser=True))
    by_name = client.get("/admin/subjects/subject/", {"q": "后台检索"}).content.decode()
    assert "杭州后台检索测试有限公司" in by_name
    assert "杭州无关有限公司" not in by_name
    by_code = client.get("/admin/subjects/subject/", {"q": company.uscc}).content.decode()
    assert "杭州后台检索测试有限公司" in by_code
    assert "杭州无关有限公司" not in by_code
