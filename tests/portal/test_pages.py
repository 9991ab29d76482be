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
