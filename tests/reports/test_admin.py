"""The back-office lists issued reports, read only."""

from __future__ import annotations

import pytest

from pubcredit.access.models import User
from pubcredit.access.readers import PUBLIC
from pubcredit.reports import services
from tests.access.helpers import verified_client
from tests.reports.conftest import Company

pytestmark = pytest.mark.django_db


def test_issued_reports_are_listed_read_only(company: Company) -> None:
    issued = services.issue_report(company.subject, reader=PUBLIC)
    client = verified_client(User.objects.create_superuser(username="root-admin", password="x-Long-pass-1",
                                                           email=""))
    res = client.get("/admin/reports/issuedreport/")
    assert res.status_code == 200
    assert issued.row.code in res.content.decode()
    assert client.get("/admin/reports/issuedreport/add/").status_code == 403
    detail = client.get(f"/admin/reports/issuedreport/{issued.row.pk}/change/")
    assert detail.status_code == 200
    assert 'name="signature"' not in detail.content.decode()  # shown, not editable
