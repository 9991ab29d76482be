"""Portal pages answer 4xx, never 5xx, to a NUL character (U+0000) in their path or query string
(PostgreSQL cannot compare or store text with one in it), or to a page number past bigint."""

from __future__ import annotations

import pytest
from django.test import Client

from pubcredit.access.models import Role, User
from tests.access.helpers import login_verified
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory

pytestmark = pytest.mark.django_db

NUL = "a\x00b"


@pytest.mark.parametrize("who", ["anonymous", "officer"])
def test_pages_refuse_nul_characters_without_a_server_error(who: str) -> None:
    company = f.org()
    client = Client(raise_request_exception=False)
    if who == "officer":
        officer = User.objects.create_user(username="nul-officer", password="x-Long-pass-1", role=Role.OFFICER,
                                           department=DepartmentFactory(code="nul-pages"), is_staff=True)
        login_verified(client, officer)
    code = company.uscc
    pages: list[tuple[str, dict[str, str]]] = [
        ("/search/", {"q": NUL}), ("/search/", {"q": "杭州", "page": NUL}),
        ("/search/", {"q": "杭州", "page": str(10**20)}),  # an OFFSET past bigint was a 500 too
        ("/quality/", {"period_days": str(10**20)}),
        ("/subjects/a%00b/", {}), (f"/subjects/{code}/", {"matter": NUL, "purpose": NUL}),
        (f"/subjects/{code}/", {"matter": "M1", "purpose": NUL}),
        (f"/subjects/{code}/report/", {"matter": NUL, "purpose": "用途"}),
        (f"/subjects/{code}/special-report/", {"from": NUL, "to": NUL, "classes": NUL}),
        ("/verify/", {"code": NUL}), ("/verify/a%00b/", {}),
        ("/catalog/", {"q": NUL}), ("/quality/", {"period_days": NUL}), ("/quality/a%00b/", {}),
        ("/accounts/login/", {"next": NUL}),
    ]
    for url, params in pages:
        res = client.get(url, params)
        assert res.status_code < 500, (who, url, params, res.status_code)
