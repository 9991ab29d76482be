"""NUL characters (U+0000) in what a reader names are refused with a 400 naming the field.

PostgreSQL cannot hold NUL in text: a matter or purpose with one in it reached the database (the
matter's look-up, the query log) and answered 500.
"""

from __future__ import annotations

import pytest
from django.test import Client

from pubcredit.access import tokens
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("params", "field"), [
    ({"matter": "M1", "purpose": "行政审批\x00核查"}, "purpose"),
    ({"matter": "M\x001", "purpose": "行政审批核查"}, "matter"),
])
def test_a_nul_in_the_matter_or_purpose_is_a_400_naming_it(params: dict[str, str], field: str) -> None:
    company = f.org()
    secret = tokens.create_department_token(DepartmentFactory(code="nul-dept"), name="系统", actor="t").secret
    for path in (f"/api/v1/subjects/{company.uscc}/report", f"/api/v1/subjects/{company.uscc}"):
        res = Client().get(path, params, headers={"Authorization": f"Bearer {secret}"})
        assert res.status_code == 400, (path, res.content)
        assert res.json()["field"] == field
