"""The catalog's change log also goes into the audit chain, in the same transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from pubcredit.audit import queries, services
from pubcredit.audit.models import AuditEntry
from pubcredit.catalog import services as catalog
from pubcredit.catalog.models import CatalogEntry, CatalogEvent, CatalogVersion
from tests.catalog.conftest import ACTOR, adverse_content, after_consultation, consult

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(db: None) -> CatalogVersion:
    department = catalog.create_department("hz-test", "杭州市测试局", actor=ACTOR)
    entry = catalog.create_entry("test-penalty", "测试处罚信息", department, "adverse", actor=ACTOR)
    return catalog.create_draft_version(entry, **adverse_content(), actor=ACTOR)


def test_every_catalog_event_is_also_an_audit_entry(draft: CatalogVersion) -> None:
    catalog.publish(consult(draft), actor=ACTOR, now=after_consultation())
    assert list(AuditEntry.objects.order_by("id").values_list("event", flat=True)) == list(
        CatalogEvent.objects.order_by("id").values_list("event", flat=True))
    published = AuditEntry.objects.get(event="catalog:version:published")
    assert (published.actor, published.object_type, published.object_id) == (
        ACTOR, "catalog_version", str(draft.pk))
    assert published.data["entry"] == "test-penalty"
    assert published.data["version"] == 1
    assert published.data["after"] == {"state": "published"}
    assert services.seal_all() == AuditEntry.objects.count()
    assert queries.verify().ok


def test_a_rolled_back_publication_leaves_no_audit_entry(draft: CatalogVersion) -> None:
    consulted = consult(draft)
    before = AuditEntry.objects.count()

    def publish_then_fail() -> None:
        with transaction.atomic():
            catalog.publish(consulted, actor=ACTOR, now=after_consultation())
            assert AuditEntry.objects.filter(event="catalog:version:published").exists()
            raise RuntimeError("the caller's transaction fails after publishing")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    assert AuditEntry.objects.count() == before
    assert not CatalogEvent.objects.filter(event="catalog:version:published").exists()
    assert CatalogVersion.objects.get(pk=draft.pk).state == "consultation"


def test_a_refused_operation_writes_no_audit_entry(draft: CatalogVersion) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(Exception, match="征求意见"):
        catalog.publish(draft, actor=ACTOR)  # a draft cannot be published without consultation
    assert AuditEntry.objects.count() == before
    assert CatalogEntry.objects.count() == 1
