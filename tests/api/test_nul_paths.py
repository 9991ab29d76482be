"""Every API operation answers 4xx, never 5xx, when a path or query parameter holds a NUL
character (U+0000): PostgreSQL cannot compare or store text with one in it, so it must be refused
before any query. (The fuzzing of ``test_fuzz`` may or may not draw one; this asks every time.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from pubcredit.access import tokens
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory

pytestmark = pytest.mark.django_db

NUL_VALUE = "a\x00b"


def _operations(client: Client) -> list[tuple[str, str, list[str]]]:
    schema: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    out = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            query = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
            out.append((method.upper(), path, query))
    return out


@pytest.mark.parametrize("caller", ["anonymous", "agency", "department"])
def test_no_operation_answers_500_to_a_nul_in_its_parameters(caller: str) -> None:
    headers = {}
    if caller == "agency":
        headers = {"Authorization": f"Bearer {tokens.create_agency_token(f.org(), name='t', actor='t').secret}"}
    elif caller == "department":
        dept = DepartmentFactory(code="nul-paths")
        headers = {"Authorization": f"Bearer {tokens.create_department_token(dept, name='t', actor='t').secret}"}
    client = Client(raise_request_exception=False)
    seen = 0
    for method, path, query in _operations(client):
        url = re.sub(r"\{[^}]+\}", "a%00b", path)
        params = dict.fromkeys(query, NUL_VALUE)
        if method == "GET":
            res = client.get(url, params, headers=headers)
        else:
            res = client.generic(method, url + ("?" + "&".join(f"{q}=a%00b" for q in query) if query else ""),
                                 data=b"{}", content_type="application/json", headers=headers)
        assert res.status_code < 500, (caller, method, url, res.status_code, res.content[:300])
        seen += 1
    assert seen > 20
