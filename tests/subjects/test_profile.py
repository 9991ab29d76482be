"""subjects.queries.profile: one statement reads the authorisation, relations and records; the rule
(access.readers.visibility) decides what of them the reader keeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pubcredit.access import services
from pubcredit.access.readers import Reader
from pubcredit.subjects import queries
from pubcredit.subjects.models import RelationRole, SubjectRelation
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory, PublishedVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    company = f.org(name="杭州一读测试有限公司")
    versions = {lv: PublishedVersionFactory(open_level=lv, entry__code=f"P-{lv.upper()}", entry__name=f"读-{lv}")
                for lv in ("public", "authorized", "internal")}
    for v in versions.values():
        rf.record(company, v)
    rep = f.person(name="李一读")
    SubjectRelation.objects.create(organization=company, related=rep, role=RelationRole.LEGAL_REP)
    return {"company": company, "versions": versions, "bank": f.org(name="杭州一读银行")}


def _codes(prof: queries.Profile) -> set[str]:
    return {r.entry_code for group in prof.records.values() for r in group}


def test_an_agency_without_authorisation_keeps_only_public_records(world: dict[str, Any],
                                                                   django_assert_num_queries: Any) -> None:
    reader = Reader(kind="agency", name="agency:x", agency_id=world["bank"].pk, channel="api")
    queries.profile(world["company"], reader=reader)  # catalog versions' specs read once per process
    with django_assert_num_queries(1):
        prof = queries.profile(world["company"], reader=reader, defer_log=True)
    assert _codes(prof) == {"P-PUBLIC"}  # the authorised record was fetched, and dropped by the rule
    assert prof.read_log is None
    assert [(r.role, r.name) for r in prof.relations] == [(RelationRole.LEGAL_REP, "李一读")]


def test_an_agency_with_a_valid_authorisation_keeps_authorised_records_and_its_basis(world: dict[str, Any]) -> None:
    today = timezone.localdate()
    grant = services.grant_authorization(subject=world["company"], grantee=world["bank"], purpose="贷款审查",
                                         valid_from=today, valid_until=today + timedelta(days=30), actor="test")
    reader = Reader(kind="agency", name="agency:x", agency_id=world["bank"].pk, channel="api")
    prof = queries.profile(world["company"], reader=reader, defer_log=True)
    assert _codes(prof) == {"P-PUBLIC", "P-AUTHORIZED"}
    assert (prof.visibility.authorization_id, prof.visibility.purpose) == (grant.pk, "贷款审查")
    assert prof.read_log is not None
    # An authorisation that ends before today, or starts after it, grants nothing today.
    assert _codes(queries.profile(world["company"], reader=reader, today=today + timedelta(days=31))) == {"P-PUBLIC"}
    assert _codes(queries.profile(world["company"], reader=reader, today=today - timedelta(days=1))) == {"P-PUBLIC"}


def test_a_visibility_wider_than_an_authorisation_reads_the_records_again(world: dict[str, Any]) -> None:
    # Not a reader the edges build (an officer never reads for an organisation), but the rule lets an
    # officer's matter apply when no authorisation does: what it allows lies beyond what was fetched.
    dept = DepartmentFactory()
    services.define_matter(department=dept, code="yd-shencha", name="一读审查", legal_basis="《行政许可法》",
                           entries=[world["versions"]["internal"].entry], actor="test")
    reader = Reader(kind="officer", name="dept:x", department_id=dept.pk, agency_id=world["bank"].pk,
                    matter="yd-shencha", purpose="审查", channel="api")
    prof = queries.profile(world["company"], reader=reader)
    assert _codes(prof) == {"P-PUBLIC", "P-INTERNAL"}
    assert prof.visibility.matter_id is not None


def test_the_subject_itself_and_the_public(world: dict[str, Any]) -> None:
    own = queries.profile(world["company"], reader=Reader(kind="subject", subject_id=world["company"].pk,
                                                          agency_id=world["company"].pk))
    assert _codes(own) == {"P-PUBLIC", "P-AUTHORIZED", "P-INTERNAL"}
    assert own.visibility.own
    assert _codes(queries.profile(world["company"], reader=Reader())) == {"P-PUBLIC"}
    person = f.person(name="王一读")
    assert queries.profile(person, reader=Reader()).relations == []
