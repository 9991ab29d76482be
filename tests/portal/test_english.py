"""The portal in its second language: English UI labels around Chinese data, and a complete catalog.

Chinese (zh-hans) is the source language; English comes from src/pubcredit/locale/en (and, for the
login pages, src/pubcredit/access/locale/en).
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

import pubcredit
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.catalog import PublishedVersionFactory

PACKAGE = Path(pubcredit.__file__).parent
PO = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
ACCESS_PO = PACKAGE / "access" / "locale" / "en" / "LC_MESSAGES" / "django.po"

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
NAV = re.compile(r'<nav class="main".*?</nav>', re.S)
FOOTER = re.compile(r'<footer class="site">.*?</footer>', re.S)
CHINESE_NAV = ("首页", "信用查询", "归集目录", "政务应用清单", "登录")
ENGLISH_NAV = ("Home", "Credit search", "Catalog", "Government application list", "Log in")


@pytest.fixture(autouse=True)
def _no_cached_counts() -> None:
    cache.clear()


def _get(client: Client, url: str, lang: str) -> str:
    res = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert res.status_code == 200, url
    return res.content.decode()


def _chrome(html: str) -> str:
    """The navigation and footer: UI text only, no data."""
    nav, footer = NAV.search(html), FOOTER.search(html)
    assert nav
    assert footer
    return nav.group(0) + footer.group(0)


def _assert_english_chrome(html: str) -> None:
    assert '<html lang="en">' in html
    chrome = _chrome(html)
    for label in ENGLISH_NAV:
        assert f">{label}</a>" in chrome
    assert not CJK.search(chrome), CJK.findall(chrome)
    assert "Hangzhou Public Credit Information Platform" in html


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_in_english(client: Client) -> None:
    f.org()
    html = _get(client, "/", "en")
    _assert_english_chrome(html)
    for text in ("Platform statistics", "Legal persons and unincorporated organisations", "Catalog entries",
                 "Public credit information catalog", "Skip to main content"):
        assert text in html
    assert "信用查询" not in html
    assert "平台数据" not in html


@pytest.mark.django_db
def test_search_in_english_keeps_names_chinese(client: Client) -> None:
    f.org(name="杭州英文测试有限公司")
    html = _get(client, "/search/?q=英文测试", "en")
    _assert_english_chrome(html)
    assert "<h1>Credit search</h1>" in html
    assert "1 subject found" in html
    assert "Legal person" in html
    assert "杭州英文测试有限公司" in html
    assert "个信用主体" not in html


@pytest.mark.django_db
def test_catalog_in_english_keeps_entry_names_chinese(client: Client) -> None:
    PublishedVersionFactory(entry__name="行政处罚信息", entry__department__name="杭州市英文测试局",
                            open_level="public", frequency="daily")
    html = _get(client, "/catalog/", "en")
    _assert_english_chrome(html)
    assert "<h1>Public credit information catalog</h1>" in html
    assert "Arts. 9, 13 and 14 of the Hangzhou Social Credit Regulations" in html
    for header in ("Open level", "Providing department", "Collection frequency"):
        assert f"<th>{header}</th>" in html
    assert '<td data-label="Open level">Public</td>' in html  # a phone shows the column name before it
    assert '<td data-label="Collection frequency">Daily</td>' in html
    assert '<td data-label="Class">Adverse information</td>' in html
    assert "行政处罚信息" in html
    assert "杭州市英文测试局" in html
    assert "开放等级" not in html
    assert "社会公开" not in html


@pytest.mark.django_db
def test_subject_page_in_english_keeps_data_chinese(client: Client) -> None:
    company = f.org(name="杭州英文主体有限公司")
    rf.record(company, PublishedVersionFactory(open_level="public", entry__name="行政处罚信息（英文页）"))
    html = _get(client, f"/subjects/{company.uscc}/", "en")
    _assert_english_chrome(html)
    for text in ("Download credit report", "Subject identity", "Subject type", "Legal person",
                 "Unified social credit code (USCC)", "Basic information", "Adverse information",
                 "Trustworthy information", "This page shows public information only."):
        assert text in html
    assert "杭州英文主体有限公司" in html
    assert "行政处罚信息（英文页）" in html
    assert company.uscc in html
    assert "主体身份" not in html
    assert "下载信用报告" not in html


@pytest.mark.django_db
def test_pages_in_chinese(client: Client) -> None:
    company = f.org(name="杭州中文主体有限公司")
    PublishedVersionFactory(entry__name="行政处罚信息")
    pages = {
        "/": ("平台数据", "法人和非法人组织"),
        "/search/?q=中文主体": ("找到 1 个信用主体", "杭州中文主体有限公司"),
        "/catalog/": ("公共信用信息归集目录", "开放等级", "社会公开"),
        f"/subjects/{company.uscc}/": ("主体身份", "下载信用报告", "统一社会信用代码", "杭州中文主体有限公司"),
    }
    for url, texts in pages.items():
        html = _get(client, url, "zh-hans")
        assert '<html lang="zh-Hans">' in html
        chrome = _chrome(html)
        for label in CHINESE_NAV:
            assert f">{label}</a>" in chrome, (url, label)
        for text in texts:
            assert text in html, (url, text)
        assert "Credit search" not in html
        assert "Hangzhou Public Credit Information Platform" not in html


# --- the catalog ------------------------------------------------------------------------------


def _entries(path: Path) -> list[dict]:
    """Parse a .po file: one dict per entry with flags, msgid, msgid_plural, obsolete and msgstr forms."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict = {"flags": set(), "msgstr": {}, "obsolete": False}
        key = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                value = ast.literal_eval(line)
                if isinstance(key, int):
                    entry["msgstr"][key] += value
                else:
                    entry[key] += value
            else:
                word, literal = line.split(" ", 1)
                match = re.fullmatch(r"msgstr\[(\d+)\]", word)
                key = int(match.group(1)) if match else (0 if word == "msgstr" else word)
                value = ast.literal_eval(literal)
                if isinstance(key, int):
                    entry["msgstr"][key] = value
                else:
                    entry[key] = value
        entries.append(entry)
    return entries


def _messages(path: Path) -> list[dict]:
    return [e for e in _entries(path) if e.get("msgid")]


def test_catalog_is_complete() -> None:
    header = _entries(PO)[0]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"][0]
    messages = _messages(PO)
    assert len(messages) > 300
    for e in messages:
        assert not e["obsolete"], e["msgid"]
        assert "fuzzy" not in e["flags"], e["msgid"]
        forms = 2 if "msgid_plural" in e else 1
        assert sorted(e["msgstr"]) == list(range(forms)), e["msgid"]
        for text in e["msgstr"].values():
            assert text.strip(), e["msgid"]
            assert not CJK.search(text), (e["msgid"], text)


def test_placeholders_are_kept() -> None:
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for e in _messages(PO):
        wanted = sorted(placeholder.findall(e["msgid"]))
        for text in e["msgstr"].values():
            assert sorted(placeholder.findall(text)) == wanted, e["msgid"]


def test_compiled_catalog_matches_po() -> None:
    with MO.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for e in _messages(PO):
        if "msgid_plural" in e:
            assert compiled.ngettext(e["msgid"], e["msgid_plural"], 1) == e["msgstr"][0], e["msgid"]
            assert compiled.ngettext(e["msgid"], e["msgid_plural"], 2) == e["msgstr"][1], e["msgid"]
        else:
            assert compiled.gettext(e["msgid"]) == e["msgstr"][0], e["msgid"]


def test_project_catalog_agrees_with_the_access_catalog() -> None:
    """LOCALE_PATHS wins over app catalogs, so a shared msgid must read the same in both."""
    access = {e["msgid"]: e["msgstr"] for e in _messages(ACCESS_PO)}
    shared = [e for e in _messages(PO) if e["msgid"] in access]
    assert shared  # e.g. 登录, 退出登录, 无权访问
    for e in shared:
        assert e["msgstr"] == access[e["msgid"]], e["msgid"]


def test_glossary_terms() -> None:
    """One English name per Chinese term (docs: /work/shared/spec/glossary.md)."""
    terms = {
        "信用主体": "Subject", "统一社会信用代码": "Unified social credit code (USCC)", "目录条目": "Catalog entry",
        "社会公开": "Public", "授权查询": "Authorised", "政府内部应用": "Government-internal", "部门": "Department",
        "自主申报": "Self-declared", "专项信用报告": "Special credit report", "调休上班日": "Make-up working day",
        "法人": "Legal person", "非法人组织": "Unincorporated organisation", "自然人": "Natural person",
    }
    translated = {e["msgid"]: e["msgstr"][0] for e in _messages(PO)}
    for chinese, english in terms.items():
        assert translated[chinese] == english
