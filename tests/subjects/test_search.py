"""The name search: part of an organisation's name, any case, wildcards taken literally, by the trigram index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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


def _plan_of_search(q: str) -> str:
    """The plan of the statement ``search`` runs for ``q``, with table scans forbidden."""
    with CaptureQueriesContext(connection) as captured:
        queries.search(q, reader=Reader())
    sql = next(c["sql"] for c in captured.captured_queries if "count(*) OVER ()" in c["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_two_character_search_finds_names_and_can_use_the_bigram_index() -> None:
    f.org(name="杭州ABC数字科技有限公司")
    f.org(name="杭州钱塘江物流有限公司")
    f.org(name="科")  # one character: no bigram at all
    assert _names("科技") == ["杭州ABC数字科技有限公司"]
    assert _names("bc") == ["杭州ABC数字科技有限公司"]
    assert _names("物流") == ["杭州钱塘江物流有限公司"]
    assert _names("技物") == []
    # Two characters have no trigram: only the bigram index can narrow the search.
    assert "subject_name_bigram" in _plan_of_search("科技")


def test_the_bigram_function_gives_the_lower_case_pairs() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject_name_bigrams(%s), subject_name_bigrams(%s), subject_name_bigrams(%s)",
                       ["AbAb", "科", ""])
        pairs, one, empty = cursor.fetchone()
    assert pairs == ["ab", "ba", "ab"]
    assert one == []
    assert empty == []


def test_a_person_with_a_matching_name_is_not_found_by_the_bigram_search() -> None:
    f.person(name="张科技")
    f.org(name="杭州科技服务有限公司")
    assert _names("科技") == ["杭州科技服务有限公司"]


def test_past_the_limit_the_search_lists_that_many_and_says_more_match(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "SEARCH_LIMIT", 5)
    for i in range(7):
        f.org(name=f"杭州云栖第{i}号科技有限公司")
    f.org(name="杭州云栖唯一的公司")
    first = queries.search("云栖", reader=Reader(), per_page=3)
    assert (first.count, first.capped, first.pages, len(first.items)) == (5, True, 2, 3)
    second = queries.search("云栖", reader=Reader(), page=2, per_page=3)
    assert (second.count, second.capped, len(second.items)) == (5, True, 2)
    listed = [s.name for s in first.items + second.items]
    assert listed == sorted(listed)
    assert len(set(listed)) == 5
    exact = queries.search("唯一的公司", reader=Reader())
    assert (exact.count, exact.capped) == (1, False)


def test_a_page_past_the_last_still_counts_the_matches() -> None:
    f.org(name="杭州西溪湿地旅游有限公司")
    beyond = queries.search("西溪湿地", reader=Reader(), page=4)
    assert (beyond.count, beyond.items, beyond.capped) == (1, [], False)
    far = queries.search("西溪湿地", reader=Reader(), page=10**20)  # no OFFSET out of PostgreSQL's range
    assert (far.count, far.items) == (1, [])
