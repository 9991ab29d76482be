"""Art. 15, 17: the two market-information entries are written only by the subject itself (self-declared)
and by a credit agency it authorised (shared) — never by a department's batch, file, upload or revocation,
not even by the platform unit that provides them in the catalog (a reviewer's finding, session 12: the
platform unit's officer could overwrite a subject's declaration and write "agency-shared" records)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pubcredit.access import tokens
from pubcredit.access.models import Role, User
from pubcredit.catalog import queries as catalog_queries
from pubcredit.collection import market, services
from pubcredit.collection.models import Batch, Record, RecordStatus
from pubcredit.collection.readers import rows_from_dicts
from pubcredit.errors import NotPermitted
from tests.access.helpers import login_verified
from tests.collection.conftest import catalog  # noqa: F401  (fixture)
from tests.factories import subjects as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]

PLATFORM_UNIT = "hz-xyzx"  # provides both market entries in the shipped catalog
OCCURRED = date(2025, 11, 3)


def _declared() -> Record:
    company = f.org(name="杭州自主申报有限公司")
    return market.declare(subject=company, actor="user:me", title="ISO 9001 质量管理体系认证", category="资质认证",
                          content="本公司自己申报的原文", occurred_on=OCCURRED)


def _overwrite(declared: Record) -> dict[str, str]:
    return {"declaration_no": declared.natural_key, "subject_uscc": declared.subject.uscc or "",
            "title": "ISO 9001 质量管理体系认证", "category": "资质认证", "content": "部门改写的内容",
            "occurred_on": OCCURRED.isoformat()}


def test_the_upload_form_does_not_offer_them() -> None:
    dept = catalog_queries.department_by_code(PLATFORM_UNIT)
    officer = User.objects.create_user(username="xyzx-officer", password="x-Long-pass-1", role=Role.OFFICER,
                                       department=dept, is_staff=True)
    form = login_verified(Client(), officer).get("/officer/batches/").context["form"]
    offered = {e.code for e in form.fields["entry"].queryset}
    assert market.SELF_DECLARED_ENTRY not in offered
    assert market.AGENCY_SHARED_ENTRY not in offered


@pytest.mark.parametrize("entry", [market.SELF_DECLARED_ENTRY, market.AGENCY_SHARED_ENTRY])
def test_a_department_batch_under_them_is_refused_and_writes_nothing(entry: str) -> None:
    declared = _declared()
    dept = catalog_queries.department_by_code(PLATFORM_UNIT)
    with pytest.raises(NotPermitted, match="不接受部门报送") as refused:
        services.submit_batch(entry_code=entry, department=dept, rows=rows_from_dicts([_overwrite(declared)]),
                              channel="api", actor="test")
    assert refused.value.field == "entry"
    declared.refresh_from_db()
    assert declared.status == RecordStatus.ACTIVE
    assert list(Record.objects.filter(entry__code=entry).values_list("source", flat=True)) == (
        ["self_declared"] if entry == market.SELF_DECLARED_ENTRY else [])
    assert not Batch.objects.filter(entry__code=entry).exists()


def test_the_api_refuses_them_with_403_naming_the_entry() -> None:
    declared = _declared()
    secret = tokens.create_department_token(catalog_queries.department_by_code(PLATFORM_UNIT), name="x",
                                            actor="test").secret
    response = Client().post(f"/api/v1/catalog/{market.SELF_DECLARED_ENTRY}/batches",
                             data=json.dumps({"rows": [_overwrite(declared)]}), content_type="application/json",
                             headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403, response.content
    assert response.json()["field"] == "entry"
    upload = SimpleUploadedFile("d.csv", ("declaration_no,content\n" + declared.natural_key + ",x\n").encode())
    response = Client().post(f"/api/v1/catalog/{market.SELF_DECLARED_ENTRY}/batches", data={"file": upload},
                             headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403, response.content


def test_a_department_cannot_revoke_a_declaration() -> None:
    declared = _declared()
    with pytest.raises(NotPermitted, match="部门不能撤销"):
        services.revoke_record(declared.pk, department=catalog_queries.department_by_code(PLATFORM_UNIT),
                               reason="试图撤销", actor="test")
    declared.refresh_from_db()
    assert declared.status == RecordStatus.ACTIVE
