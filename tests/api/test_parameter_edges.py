"""Every API operation answers 4xx, never 5xx, when a path or query parameter holds a NUL
character (U+0000) — PostgreSQL cannot compare or store text with one in it, so it must be refused
before any query — or a number past PostgreSQL's bigint (an OFFSET or LIMIT out of range was a
500). (The fuzzing of ``test_fuzz`` may or may not draw these; this asks every time.)"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from pubcredit.access import tokens
from pubcredit.access.models import Role, User
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory

pytestmark = pytest.mark.django_db

def _operations(client: Client) -> list[tuple[str, str, list[str]]]:
    schema: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    out = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            query = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
            out.append((method.upper(), path, query))
    return out


@pytest.mark.parametrize("value", ["a\x00b", str(10**20)], ids=["nul", "huge"])
@pytest.mark.parametrize("caller", ["anonymous", "agency", "department", "subject"])
def test_no_operation_answers_500_to_a_nul_or_a_huge_number_in_its_parameters(caller: str, value: str) -> None:
    headers = {}
    if caller == "agency":
        headers = {"Authorization": f"Bearer {tokens.create_agency_token(f.org(), name='t', actor='t').secret}"}
    elif caller == "department":
        dept = DepartmentFactory(code="nul-paths")
        headers = {"Authorization": f"Bearer {tokens.create_department_token(dept, name='t', actor='t').secret}"}
    client = Client(raise_request_exception=False)
    if caller == "subject":  # signed in on the portal: its own pages of the API (query log, authorisations)
        own = f.org(name="杭州自查有限公司")
        client.force_login(User.objects.create_user(username="own", password="x-Long-pass-1", role=Role.SUBJECT,
                                                    subject=own))
    seen = 0
    for method, path, query in _operations(client):
        encoded = quote(value, safe="")
        url = re.sub(r"\{[^}]+\}", encoded, path)
        if caller == "subject" and "{code}" in path:  # its own code, so that what follows is reached
            url = re.sub(r"\{code\}", own.uscc or "", path)
            url = re.sub(r"\{[^}]+\}", encoded, url)
        params = dict.fromkeys(query, value)
        if method == "GET":
            res = client.get(url, params, headers=headers)
        else:
            res = client.generic(method, url + ("?" + "&".join(f"{q}={encoded}" for q in query) if query else ""),
                                 data=b"{}", content_type="application/json", headers=headers)
        assert res.status_code < 500, (caller, method, url, res.status_code, res.content[:300])
        seen += 1
    assert seen > 20
