"""Art. 38, 39: every change of a subject is in the audit log — registered, renamed, verified, related,
registered in bulk by a batch (one entry per call) — and a person's name and ID appear only masked
(a reviewer's finding, session 12: none of these were audited)."""

from __future__ import annotations

import pytest

from pubcredit.audit.models import AuditEntry
from pubcredit.subjects import services
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


def _entries(event: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(event=event).order_by("id"))


def test_registration_renaming_verification_and_relations_are_audited() -> None:
    company = services.register_organization(kind="legal_person", name="杭州审计主体有限公司", uscc=f.uscc(),
                                             verified=False, actor="admin:op")
    rid = f.resident_id()
    person = services.register_person(name="王审计", resident_id=rid, actor="admin:op")
    services.rename(company, "杭州审计主体科技有限公司", actor="admin:op2")
    services.mark_verified(company, actor="admin:op3")
    services.mark_verified(company, actor="admin:op3")  # already verified: no second entry
    services.relate(organization=company, related=person, role="legal_rep", actor="admin:op")
    services.relate(organization=company, related=person, role="legal_rep", actor="admin:op")  # exists: none

    registered = _entries("subjects:subject:registered")
    assert [(e.actor, e.subject_id) for e in registered] == [("admin:op", company.pk), ("admin:op", person.pk)]
    assert registered[1].data["name"] == "王*计"
    assert registered[1].data["code"] == person.resident_id_masked
    (renamed,) = _entries("subjects:subject:renamed")
    assert (renamed.actor, renamed.data["before"], renamed.data["after"]) == (
        "admin:op2", "杭州审计主体有限公司", "杭州审计主体科技有限公司")
    assert [e.actor for e in _entries("subjects:subject:verified")] == ["admin:op3"]
    (related,) = _entries("subjects:relation:recorded")
    assert (related.subject_id, related.data["role"], related.data["related_name"]) == (
        company.pk, "legal_rep", "王*计")
    assert rid not in str([e.data for e in AuditEntry.objects.all()])


def test_subjects_registered_in_bulk_are_audited_once_per_call() -> None:
    rid = f.resident_id()
    created = services.bulk_register_unverified(organizations=[("legal_person", f.uscc(), "杭州甲公司"),
                                                               ("legal_person", f.uscc(), "杭州乙公司")],
                                                persons=[(rid, "李批量")], source="报送批次 #7", actor="dept:x")
    assert created == 3
    (entry,) = _entries("subjects:subject:registered_in_bulk")
    assert (entry.actor, entry.data["created"], entry.data["source"]) == ("dept:x", 3, "报送批次 #7")
    assert services.bulk_register_unverified(persons=[(rid, "李批量")], source="again", actor="dept:x") == 0
    assert len(_entries("subjects:subject:registered_in_bulk")) == 1  # nothing new: nothing written
