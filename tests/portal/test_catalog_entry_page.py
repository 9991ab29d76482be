"""A department's officer finds, without being told, which columns to send (an acceptance run in the
browser, session 12: /catalog/ listed entries with no field list and no template)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.collection.conftest import catalog  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]


def test_the_catalog_links_each_entry_to_its_fields_and_a_template() -> None:
    listing = Client().get("/catalog/").content.decode()
    assert 'href="/catalog/penalty-scjg/"' in listing
    page = Client().get("/catalog/penalty-scjg/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("CF_WSH", "行政处罚决定书文号", "业务主键", "必填", "日期（YYYY-MM-DD）", "下载报送模板"):
        assert text in html, text
    assert "01（" in html  # an enum's codes with their meanings
    template = Client().get("/catalog/penalty-scjg/template.csv")
    assert template.status_code == 200
    assert template["Content-Type"].startswith("text/csv")
    text = template.content.decode("utf-8")
    assert text.startswith("\ufeffCF_XDR_MC,")
    assert text.count("\n") == 1  # the header row only


def test_an_unknown_entry_is_a_404_page() -> None:
    for path in ("/catalog/no-such-entry/", "/catalog/no-such-entry/template.csv"):
        response = Client().get(path)
        assert response.status_code == 404
        assert "目录条目 no-such-entry 不存在" in response.content.decode()
