"""Art. 37 para. 3: a field a catalog author raises to "consent required" by hand names the consent
that covers it, and a person's row is accepted once that consent is recorded (a reviewer's finding,
session 12: such a field had no category, so no consent could ever cover it)."""

from __future__ import annotations

from datetime import date

import pytest

from pubcredit.catalog.rules import validate_field_specs
from pubcredit.collection import services
from pubcredit.collection.readers import rows_from_dicts
from tests.factories import subjects as f
from tests.factories.catalog import PublishedVersionFactory

pytestmark = pytest.mark.django_db


def test_a_field_raised_by_hand_is_covered_by_the_consent_it_names() -> None:
    fields = validate_field_specs([
        {"name": "rid", "label": "居民身份证号码", "type": "resident_id", "required": True},
        {"name": "name", "label": "姓名", "type": "string", "required": True, "max_length": 50},
        {"name": "doc_no", "label": "文号", "type": "string", "required": True, "max_length": 50},
        {"name": "hpf_base", "label": "住房公积金缴存基数", "type": "decimal", "required": False,
         "max_digits": 12, "decimal_places": 2, "consent_required": True, "consent_category": "property"},
    ])
    version = PublishedVersionFactory(entry__info_class="basic", subject_kinds=["natural_person"], fields=fields,
                                      natural_key=["doc_no"], decision_date_field="",
                                      subject_fields={"resident_id": "rid", "name": "name"})
    dept = version.entry.department
    rid = f.resident_id()
    person = f.person("李四", code=rid)

    def send(doc_no: str) -> tuple[int, list[str]]:
        batch = services.submit_batch(entry_code=version.entry.code, department=dept, channel="api", actor="test",
                                      rows=rows_from_dicts([{"rid": rid, "name": "李四", "doc_no": doc_no,
                                                             "hpf_base": "8000"}]))
        return batch.accepted, list(batch.rejections.values_list("reason", flat=True))

    accepted, reasons = send("A-1")
    assert accepted == 0
    assert "财产取得、处分信息（第三十七条第三款）" in reasons[0]
    services.record_consent(subject=person, department=dept, category="property", document_ref="D-1",
                            given_on=date(2025, 1, 1), actor="test")
    assert send("A-2") == (1, [])
