"""Catalog factories: a department, an entry and its published version, valid by default."""

from __future__ import annotations

import factory

from pubcredit.catalog.models import CatalogEntry, CatalogVersion, Department, VersionState

PENALTY_FIELDS = [
    {"name": "CF_WSH", "label": "行政处罚决定书文号", "type": "string", "required": True, "max_length": 128},
    {"name": "CF_SY", "label": "违法事实", "type": "text", "required": True},
    {"name": "CF_JDRQ", "label": "处罚决定日期", "type": "date", "required": True},
    {"name": "CF_FR_ZJHM", "label": "法定代表人证件号码", "type": "resident_id", "required": False},
]


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"杭州市测试局{n}")


class CatalogEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogEntry

    code = factory.Sequence(lambda n: f"TEST-{n:03d}")
    name = "行政处罚信息"
    department = factory.SubFactory(DepartmentFactory)
    info_class = "adverse"


class PublishedVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogVersion

    entry = factory.SubFactory(CatalogEntryFactory)
    number = 1
    state = VersionState.PUBLISHED
    item = "行政处罚决定"
    subject_kinds = factory.LazyFunction(lambda: ["legal_person", "unincorporated_org", "natural_person"])
    open_level = "public"
    frequency = "daily"
    fields = factory.LazyFunction(lambda: [dict(f) for f in PENALTY_FIELDS])
    natural_key = factory.LazyFunction(lambda: ["CF_WSH"])
    decision_date_field = "CF_JDRQ"
    legal_basis = "《中华人民共和国行政处罚法》"
    disclosure_months = 36
