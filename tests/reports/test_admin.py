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


def test_issued_reports_are_found_by_code_digest_or_subject_code(company: Company) -> None:
    from tests.factories import subjects as f

    issued = services.issue_report(company.subject, reader=PUBLIC)
    other = services.issue_report(f.org(name="杭州另一家报告有限公司"), reader=PUBLIC)
    client = verified_client(User.objects.create_superuser(username="root-admin", password="x-Long-pass-1",
                                                           email=""))

    def found(q: str) -> set[str]:
        html = client.get("/admin/reports/issuedreport/", {"q": q}).content.decode()
        return {r.row.code for r in (issued, other) if r.row.code in html}

    assert found(issued.code) == {issued.row.code}  # as printed: XXXX-XXXX-XXXX-XXXX
    assert found(issued.code.lower().replace("-", " ")) == {issued.row.code}  # as typed by hand
    assert found(issued.row.content_digest) == {issued.row.code}
    assert found(issued.row.content_digest.upper()) == {issued.row.code}
    assert found(company.subject.uscc or "") == {issued.row.code}
    assert found(issued.row.code[:6]) == set()  # a part of a code is not searched
    assert "输入报告验证码" in client.get("/admin/reports/issuedreport/").content.decode()
