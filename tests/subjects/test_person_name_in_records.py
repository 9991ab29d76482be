"""A natural person's name in its own records is masked wherever its name is (Art. 14; Zhejiang: a natural
person's information is not disclosed to the public): the field the catalog names as the subject's name
(``subject_fields["name"]``, e.g. 行政相对人名称 CF_XDR_MC) is shown as ``mask_name`` shows the page header,
unless the reader is the person. An organisation's name in the same field is shown in full."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access.models import Role, User
from pubcredit.access.readers import Reader
from pubcredit.catalog import queries as catalog_queries
from pubcredit.codes import mask_name
from pubcredit.collection import queries as record_queries
from pubcredit.subjects import queries as subject_queries
from pubcredit.subjects.models import Subject
from tests.collection.conftest import PENALTY, PENALTY_DEPT, catalog, penalty_row, person_penalty_row, submit  # noqa: F401
from tests.factories import subjects as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]

NAME = "司马光明"


def _penalised_person() -> tuple[Subject, str]:
    rid = f.resident_id()
    person = f.person(name=NAME, code=rid)
    batch = submit(catalog_queries.department_by_code(PENALTY_DEPT), [person_penalty_row(rid, name=NAME)])
    assert batch.accepted == 1, list(batch.rejections.values_list("field", "reason"))
    return person, rid


def _name_field(fields: list[dict[str, str]] | tuple[tuple[str, str, str], ...]) -> str:
    for item in fields:
        name, value = (item["name"], item["value"]) if isinstance(item, dict) else (item[0], item[2])
        if name == "CF_XDR_MC":
            return value
    raise AssertionError("no CF_XDR_MC field shown")


def test_the_person_page_masks_the_name_in_a_penalty_record_as_in_its_header() -> None:
    person, _rid = _penalised_person()
    html = Client().get(f"/subjects/{subject_queries.public_url_key(person)}/").content.decode()
    assert "行政相对人名称" in html
    assert NAME not in html
    assert f"<dd>{mask_name(NAME)}</dd>" in html


def test_the_subject_api_masks_the_name_in_a_penalty_record() -> None:
    _person, rid = _penalised_person()
    body = Client().get(f"/api/v1/subjects/{rid}").json()
    assert body["name"] == mask_name(NAME)
    [penalty] = body["adverse"]
    assert _name_field(penalty["fields"]) == mask_name(NAME)
    assert NAME not in str(body)


def test_the_person_reading_its_own_page_sees_its_full_name() -> None:
    person, _rid = _penalised_person()
    client = Client()
    client.force_login(User.objects.create_user(username="sima", password="x-Long-pass-1", role=Role.SUBJECT,
                                                subject=person))
    html = client.get("/my/").content.decode()
    assert f"<dd>{NAME}</dd>" in html


def test_batch_reads_mask_a_persons_name_and_keep_an_organisations() -> None:
    person, _rid = _penalised_person()
    company = f.org(name="杭州批量名称有限公司")
    batch = submit(catalog_queries.department_by_code(PENALTY_DEPT),
                   [penalty_row(company.uscc, CF_XDR_MC=company.name)])
    assert batch.accepted == 1, list(batch.rejections.values_list("field", "reason"))
    profs = subject_queries.profiles([person, company], reader=Reader(channel="batch"), today=timezone.localdate())
    [person_record] = profs[person.pk].records["adverse"]
    [company_record] = profs[company.pk].records["adverse"]
    assert _name_field(person_record.fields) == mask_name(NAME)
    assert _name_field(company_record.fields) == company.name
    # the single-subject read (page, API, report, PDF) shows the same
    single = subject_queries.profile(person, reader=Reader())
    assert single.records["adverse"][0].fields == person_record.fields


def test_the_name_field_is_decided_once_per_catalog_version() -> None:
    from pubcredit.catalog.models import CatalogVersion

    version = CatalogVersion.objects.filter(entry__code=PENALTY, state="published").get()
    specs = record_queries.field_specs([version.pk])[version.pk]
    assert [s.name for s in specs if s.subject_name] == ["CF_XDR_MC"]
    assert not any(s.plain for s in specs if s.subject_name)
