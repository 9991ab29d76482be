"""A company with one record in each report section and open level, and the readers of the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from pubcredit.access import services as access_services
from pubcredit.access.readers import Reader
from pubcredit.catalog.models import CatalogVersion
from pubcredit.collection.models import Record
from pubcredit.subjects.models import Subject
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.catalog import PublishedVersionFactory


@dataclass
class Company:
    subject: Subject
    bank: Subject
    versions: dict[str, CatalogVersion]
    records: dict[str, Record]

    @property
    def own(self) -> Reader:
        return Reader(kind="subject", name="own", subject_id=self.subject.pk, agency_id=self.subject.pk)

    @property
    def bank_reader(self) -> Reader:
        return Reader(kind="agency", name="agency:bank", agency_id=self.bank.pk, channel="api")


def version(code: str, name: str, info_class: str, level: str, **kw: object) -> CatalogVersion:
    return PublishedVersionFactory(entry__code=code, entry__name=name, entry__info_class=info_class,
                                   open_level=level, **kw)


@pytest.fixture
def company(db: None) -> Company:
    subject = f.org(name="杭州报告测试有限公司")
    bank = f.org(name="杭州测试银行股份有限公司")
    today = timezone.localdate()
    access_services.grant_authorization(subject=subject, grantee=bank, purpose="授信审查", valid_from=today,
                                        valid_until=today + timedelta(days=30), actor="test")
    versions = {
        "basic": version("org-registration", "登记注册基本信息", "basic", "public", disclosure_months=None),
        "penalty": version("penalty-scjg", "行政处罚信息（市场监管）", "adverse", "public"),
        "unpaid": version("unpaid-fines", "逾期不缴纳罚款信息", "adverse", "internal"),
        "donation": version("charitable-donation", "慈善捐赠信息", "trustworthy", "authorized",
                            disclosure_months=None),
        "defaulter": version("court-defaulter", "失信被执行人信息", "adverse", "public"),
        "breach": version("commitment-breach-org", "违背信用承诺信息（组织）", "adverse", "public"),
        "declared": version("market-self-declared", "自主申报市场信用信息", "trustworthy", "public",
                            disclosure_months=None),
    }
    recent = today - timedelta(days=60)
    records = {key: rf.record(subject, v, decision=recent) for key, v in versions.items()}
    Record.objects.filter(pk=records["declared"].pk).update(source="self_declared")
    # Past its disclosure period (36 months): never shown.
    records["expired"] = rf.record(subject, versions["penalty"], decision=date(2019, 5, 6))
    return Company(subject, bank, versions, records)
