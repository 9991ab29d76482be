import pytest
from django.test import Client

from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.catalog import PublishedVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_counts() -> None:
    from django.core.cache import cache

    cache.clear()


def test_home_shows_counts_and_search_box(client: Client) -> None:
    f.org()
    f.person()
    res = client.get("/")
    assert res.status_code == 200
    html = res.content.decode()
    assert 'name="q"' in html
    assert "信用查询" in html
    assert res.context["counts"]["organizations"] == 1
    assert res.context["counts"]["persons"] == 1


def test_search_by_partial_name_lists_organisations_not_persons(client: Client) -> None:
    f.org(name="杭州西湖龙井茶业有限公司")
    f.org(name="杭州钱塘江物流有限公司")
    f.person(name="龙井人")
    res = client.get("/search/", {"q": "龙井"})
    assert res.status_code == 200
    html = res.content.decode()
    assert "杭州西湖龙井茶业有限公司" in html
    assert "钱塘江" not in html
    assert "龙井人" not in html


def test_a_search_matching_too_many_says_so_and_lists_the_limit(client: Client,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from pubcredit.subjects import queries

    monkeypatch.setattr(queries, "SEARCH_LIMIT", 3)
    for i in range(4):
        f.org(name=f"杭州之江第{i}实业有限公司")
    html = client.get("/search/", {"q": "之江"}).content.decode()
    assert "匹配的信用主体超过 3 个，以下仅列出其中 3 个" in html
    assert "找到" not in html
    assert html.count("实业有限公司</a>") == 3
    english = client.get("/search/", {"q": "之江"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than 3 subjects match" in english


def test_a_search_with_a_nul_character_says_why(client: Client) -> None:
    res = client.get("/search/", {"q": "科技\x00有限"})
    assert res.status_code == 400
    assert "空字符" in res.content.decode()
    assert "\x00" not in res.content.decode()  # the query is echoed into the form as U+FFFD


def test_search_by_exact_code_jumps_to_subject(client: Client) -> None:
    company = f.org()
    res = client.get("/search/", {"q": company.uscc})
    assert res.status_code == 302
    assert res["Location"] == f"/subjects/{company.uscc}/"


def test_search_with_malformed_code_says_why(client: Client) -> None:
    res = client.get("/search/", {"q": "91110000600037341X"})
    assert res.status_code == 400
    assert "校验" in res.content.decode()


def test_search_with_one_character_asks_for_more(client: Client) -> None:
    res = client.get("/search/", {"q": "杭"})
    assert res.status_code == 400
    assert "至少" in res.content.decode()


def test_subject_page_lists_public_information_only(client: Client) -> None:
    company = f.org(name="杭州页面测试有限公司")
    pub = PublishedVersionFactory(open_level="public", entry__name="行政处罚信息（公开）")
    internal = PublishedVersionFactory(open_level="internal", entry__name="欠税信息（内部）")
    rf.record(company, pub)
    rf.record(company, internal)
    res = client.get(f"/subjects/{company.uscc}/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "杭州页面测试有限公司" in html
    assert "行政处罚信息（公开）" in html
    assert "欠税信息（内部）" not in html
    assert "社会公开信息" in html


def test_person_page_is_masked_and_addressed_by_opaque_reference(client: Client) -> None:
    rid = f.resident_id()
    p = f.person(name="司马光明", code=rid)
    res = client.get("/search/", {"q": rid})
    assert res.status_code == 302
    assert rid not in res["Location"]
    page = client.get(res["Location"])
    html = page.content.decode()
    assert rid not in html
    assert p.resident_id_masked in html
    assert "司马光明" not in html


def test_unknown_and_malformed_subject_pages(client: Client) -> None:
    assert client.get(f"/subjects/{f.uscc()}/").status_code == 404
    assert client.get("/subjects/91110000600037341X/").status_code == 400
    assert client.get("/subjects/not-a-ref/").status_code == 404


def test_english_is_available(client: Client) -> None:
    res = client.get("/", headers={"accept-language": "en"})
    assert res.status_code == 200
    assert 'lang="en"' in res.content.decode()


def test_home_counts_exactly_until_the_planner_expects_many_rows_then_shows_a_marked_estimate(
        client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pubcredit.subjects import queries

    for i in range(3):
        f.org(name=f"杭州估算测试{i}有限公司")
    res = client.get("/")
    assert res.context["counts"]["organizations"] == 3
    assert res.context["counts"]["approximate"] == []
    assert "约" not in res.content.decode().split("平台数据")[1].split("</div>\n</div>")[0]

    cache.clear()
    monkeypatch.setattr(queries, "EXACT_COUNT_UP_TO", -1)  # every table counts as large
    monkeypatch.setattr(queries, "_planner_rows", lambda qs: 51_234_567)
    with CaptureQueriesContext(connection) as captured:
        res = client.get("/")
    assert not [q for q in captured.captured_queries if "COUNT(*)" in q["sql"].upper()]  # nothing counted
    counts = res.context["counts"]
    assert (counts["organizations"], counts["persons"], counts["records"]) == (51_200_000,) * 3
    assert sorted(counts["approximate"]) == ["organizations", "persons", "records"]
    assert "<b>约51,200,000</b>" in res.content.decode()  # grouped in threes, in Chinese too


def test_the_planner_estimate_is_read_without_counting() -> None:
    from pubcredit.subjects import queries
    from pubcredit.subjects.models import Subject

    for i in range(4):
        f.org(name=f"杭州计划估算{i}有限公司")
    assert queries._planner_rows(Subject.objects.all()) >= 1
    assert queries.figure(Subject.objects.all()) == (4, False)
    assert queries._rounded(51_234_567) == 51_200_000
    assert queries._rounded(99_950) == 100_000
    assert queries._rounded(999) == 999


@pytest.mark.parametrize(("value", "shown"), [
    (0, "0"), (999, "999"), (1000, "1,000"), (60000, "60,000"), (51_200_000, "51,200,000"), (-1234, "-1,234"),
    ("12345", "12,345"), (None, ""), ("—", "—"),
])
def test_figures_are_grouped_in_threes_in_every_language(value: object, shown: str) -> None:
    from django.utils import translation

    from pubcredit.portal.templatetags.portal_format import grouped

    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert grouped(value) == shown


def test_home_figures_are_grouped_on_the_page(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.cache import cache

    from pubcredit.subjects import queries

    cache.clear()
    monkeypatch.setattr(queries, "figure", lambda qs: (60_000, False))
    page = client.get("/").content.decode()
    assert page.count("<b>60,000</b>") == 3  # organisations, persons, records


def test_the_site_has_an_icon_and_favicon_ico_leads_to_it(client: Client) -> None:
    """Browsers ask /favicon.ico on every first visit; it was a 404 in every server log."""
    res = client.get("/favicon.ico")
    assert res.status_code == 301
    assert res["Location"].endswith("portal/favicon.svg")
    assert b"<svg" in b"".join(client.get(res["Location"]).streaming_content)
    assert 'rel="icon"' in client.get("/").content.decode()
