"""The auditors' back office: the log and checkpoints can be read, never added, changed or deleted."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pubcredit.audit import services
from pubcredit.audit.models import AuditEntry, Checkpoint
from tests.audit.conftest import sealed_chain

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),  # static files not collected in tests
]


@pytest.fixture
def admin_client(admin_user: Any) -> Client:
    """A superuser with the second factor passed (staff reach /admin/ only after it)."""
    from tests.access.helpers import verified_client

    return verified_client(admin_user)


def test_log_and_checkpoints_are_read_only(admin_client: Client) -> None:
    sealed_chain(3)
    services.record_event("access:login", actor="admin:alice", channel="web", data={"ip": "10.0.0.1"})
    cp = services.checkpoint()
    # (the admin's own login is audited too, so pick the chain's first entry by its content)
    entry = AuditEntry.objects.exclude(event__startswith="access:login").order_by("id").first()
    assert entry is not None
    logins_before = AuditEntry.objects.filter(event__startswith="access:login:").count()
    for url in (reverse("admin:audit_auditentry_changelist"), reverse("admin:audit_checkpoint_changelist"),
                reverse("admin:audit_auditentry_changelist") + "?sealed_at__isempty=1",
                reverse("admin:audit_auditentry_change", args=[entry.pk]),
                reverse("admin:audit_checkpoint_change", args=[cp.pk])):
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).content.decode()
    assert "行政审批" in page
    assert 'name="_save"' not in page
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
                             ).status_code == 403
    assert admin_client.post(reverse("admin:audit_auditentry_change", args=[entry.pk]), {"actor": "x"}
                             ).status_code == 403
    assert admin_client.post(reverse("admin:audit_checkpoint_delete", args=[cp.pk]), {"post": "yes"}
                             ).status_code == 403
    assert AuditEntry.objects.count() - logins_before == 4
    assert Checkpoint.objects.count() == 1


def test_the_log_is_searched_by_whole_actor_event_or_object_id_through_indexes(admin_client: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.record_event("catalog:version:published", actor="dept:330100-SJJG", object_type="catalog_version",
                          object_id="4711")
    services.record_event("access:query", actor="agency:12", object_type="query_log", object_id="88")
    services.record_event("access:query", actor="agency:120", object_type="query_log", object_id="4711")
    url = reverse("admin:audit_auditentry_changelist")

    def found(q: str) -> set[tuple[str, str]]:
        res = admin_client.get(url, {"q": q})
        assert res.status_code == 200
        ids = [e.pk for e in AuditEntry.objects.exclude(event__startswith="access:login")]
        html = res.content.decode()
        return {(e.actor, e.object_id) for e in AuditEntry.objects.filter(pk__in=ids)
                if reverse("admin:audit_auditentry_change", args=[e.pk]) in html}

    assert found("agency:12") == {("agency:12", "88")}  # whole actor: not agency:120
    assert found(" agency:12 ") == {("agency:12", "88")}
    assert found("agency") == set()  # a part of an actor is not searched (it read the whole log)
    assert found("access:query") == {("agency:12", "88"), ("agency:120", "4711")}
    assert found("4711") == {("dept:330100-SJJG", "4711"), ("agency:120", "4711")}  # any object type
    assert "输入完整的操作人" in admin_client.get(url).content.decode()
    with CaptureQueriesContext(connection) as captured:
        admin_client.get(url, {"q": "access:query"})
    finding = [q["sql"] for q in captured.captured_queries
               if 'FROM "audit_auditentry"' in q["sql"] and '"actor" = ' in q["sql"]]
    assert len(finding) == 1
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table: ask whether indexes *can* serve it
        cursor.execute("EXPLAIN " + finding[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in ("audit_entry_actor", "audit_entry_event", "audit_entry_object"):
        assert index in plan
