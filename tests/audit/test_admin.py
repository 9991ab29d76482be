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
