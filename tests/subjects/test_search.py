"""The name search: part of an organisation's name, any case, wildcards taken literally, by the trigram index."""

from __future__ import annotations

import pytest
from django.db import connection

from pubcredit.access.readers import Reader
from pubcredit.subjects import queries
from pubcredit.subjects.models import Subject
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


def _names(q: str) -> list[str]:
    return [s.name for s in queries.search(q, reader=Reader()).items]


def test_part_of_a_name_in_any_case_finds_the_organisation() -> None:
    f.org(name="杭州ABC数字科技有限公司")
    f.org(name="杭州钱塘江物流有限公司")
    assert _names("abc数字") == ["杭州ABC数字科技有限公司"]
    assert _names("数字科技") == ["杭州ABC数字科技有限公司"]
    assert _names("钱塘江物流") == ["杭州钱塘江物流有限公司"]


def test_percent_and_underscore_are_matched_literally() -> None:
    f.org(name="杭州百分之百_贸易有限公司")
    f.org(name="杭州百分之百贸易有限公司")
    assert _names("百_贸易") == ["杭州百分之百_贸易有限公司"]
    assert _names("100%") == []
    assert _names("有限%公司") == []


def test_the_search_can_use_the_trigram_index() -> None:
    # Few rows here, so the planner would scan the table anyway: forbid that and see that the
    # name index can serve the query at all (``icontains``' UPPER(name) LIKE … cannot use it).
    qs = Subject.objects.filter(name__ilike_contains="数字科技")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert "subject_name_trgm" in plan
