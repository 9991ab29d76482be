"""reports.links.verify_url: the verify link printed on every report (and encoded in its QR code)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from pubcredit.reports.links import verify_url


@pytest.mark.parametrize("code", ["7K2M-9QXA-0B4C-D5EF", "7K2M9QXA0B4CD5EF"])
def test_the_link_is_the_verify_page_of_the_code_on_the_requests_host(code: str) -> None:
    request = RequestFactory().get("/api/v1/x", HTTP_HOST="credit.example.cn")
    assert verify_url(request, code) == f"http://credit.example.cn{reverse('reports:verify_code', args=[code])}"
    assert verify_url(request, code).endswith(f"/verify/{code}/")


def test_a_public_address_and_a_script_prefix_are_honoured() -> None:
    request = RequestFactory().get("/api/v1/x", HTTP_HOST="10.0.0.5")
    with override_settings(PUBCREDIT_PUBLIC_URL="https://xy.hangzhou.gov.cn/"):
        assert verify_url(request, "AAAA-BBBB-CCCC-DDDD") == (
            f"https://xy.hangzhou.gov.cn{reverse('reports:verify_code', args=['AAAA-BBBB-CCCC-DDDD'])}")
    set_script_prefix("/credit/")
    try:
        link = verify_url(request, "AAAA-BBBB-CCCC-DDDD")
        assert link == f"http://10.0.0.5{reverse('reports:verify_code', args=['AAAA-BBBB-CCCC-DDDD'])}"
        assert link.startswith("http://10.0.0.5/credit/")
    finally:
        clear_script_prefix()
        set_script_prefix("/")


def test_anything_else_is_quoted_as_reverse_quotes_it() -> None:
    request = RequestFactory().get("/", HTTP_HOST="h")
    assert verify_url(request, "码 a b") == f"http://h{reverse('reports:verify_code', args=['码 a b'])}"
