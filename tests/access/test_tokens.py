"""API tokens: one look-up per request, revocation at once, the last-used stamp at most once a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pubcredit.access import tokens
from pubcredit.access.models import ApiToken
from pubcredit.errors import NotPermitted
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


def test_an_agency_token_names_its_organisation_in_one_query() -> None:
    agency = f.org("杭州令牌征信有限公司")
    issued = tokens.create_agency_token(agency, name="t", actor="test")
    tokens.authenticate(issued.secret)  # the first use on a connection prepares the statement
    with CaptureQueriesContext(connection) as captured:
        owner = tokens.authenticate(issued.secret)  # last used just now: nothing to write
    assert len(captured) == 1
    assert (owner.token_id, owner.agency_id, owner.agency_name, owner.department_id) == (
        issued.token.pk, agency.pk, "杭州令牌征信有限公司", None)


def test_the_last_used_stamp_is_written_at_most_once_a_minute() -> None:
    issued = tokens.create_agency_token(f.org(), name="t", actor="test")
    tokens.authenticate(issued.secret)
    first = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert first is not None
    tokens.authenticate(issued.secret)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first  # not written again
    stale = timezone.now() - timedelta(seconds=tokens.LAST_USED_EVERY + 5)
    ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=stale)
    tokens.authenticate(issued.secret)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at > stale


def test_a_revoked_agency_token_is_refused_on_the_next_request() -> None:
    subject = f.org("杭州被查询科技有限公司", code=f.uscc(department="9", org_type="1"))
    issued = tokens.create_agency_token(f.org("杭州另一征信有限公司", code=f.uscc(org_type="2")), name="t",
                                        actor="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get(f"/api/v1/subjects/{subject.uscc}/report").status_code == 200
    tokens.revoke_token(issued.token, actor="test")
    assert client.get(f"/api/v1/subjects/{subject.uscc}/report").status_code == 403
    with pytest.raises(NotPermitted):
        tokens.authenticate(issued.secret)


@pytest.mark.parametrize("secret", ["", "nope", "pct_unknown", "pct_" + "x" * 300])
def test_unknown_or_malformed_secrets_are_refused(secret: str) -> None:
    with pytest.raises(NotPermitted):
        tokens.authenticate(secret)


@pytest.mark.django_db(transaction=True)
def test_a_revocation_waits_for_work_holding_the_token() -> None:
    """``hold_unrevoked``: work begun under a valid token (a batch query's chunk) finishes before a
    revocation can commit; once it has committed, the token is no longer held valid."""
    import threading

    from django.db import OperationalError, transaction
    from django.db import connection as db

    issued = tokens.create_agency_token(f.org(), name="t", actor="test")
    outcome: list[str] = []

    def revoke() -> None:
        try:
            with transaction.atomic():
                with db.cursor() as cur:
                    cur.execute("SET LOCAL lock_timeout = '300ms'")
                tokens.revoke_token(issued.token, actor="operator")
            outcome.append("revoked")
        except OperationalError:
            outcome.append("waited")
        finally:
            db.close()

    with transaction.atomic():
        assert tokens.hold_unrevoked(issued.token.pk)
        thread = threading.Thread(target=revoke)
        thread.start()
        thread.join()
    assert outcome == ["waited"]
    revoke()
    assert outcome == ["waited", "revoked"]
    assert not tokens.hold_unrevoked(issued.token.pk)


def test_issuing_and_revoking_a_token_are_audited_without_the_secret() -> None:
    from pubcredit.audit.models import AuditEntry
    from tests.factories.catalog import DepartmentFactory

    dept = DepartmentFactory(code="tok-audit")
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    issued = tokens.create_department_token(dept, name="报送程序", actor="admin:op")
    tokens.revoke_token(issued.token, actor="admin:op2")
    agency = tokens.create_agency_token(f.org("杭州审计令牌征信有限公司"), name="查询", actor="admin:op")
    entries = list(AuditEntry.objects.filter(id__gt=last, object_type="api_token").order_by("id"))
    assert [(e.event, e.actor, e.object_id) for e in entries] == [
        ("access:token:issued", "admin:op", str(issued.token.pk)),
        ("access:token:revoked", "admin:op2", str(issued.token.pk)),
        ("access:token:issued", "admin:op", str(agency.token.pk))]
    assert entries[0].data == {"prefix": issued.token.prefix, "name": "报送程序", "department": "tok-audit"}
    assert entries[2].data["agency"] == agency.token.agency_id
    assert all(issued.secret not in str(e.data) and agency.secret not in str(e.data) for e in entries)


def test_a_deactivated_departments_token_is_refused() -> None:
    """A department that is no longer a public-credit-related unit reads and submits nothing, whatever
    tokens it still holds (revoked or not)."""
    from pubcredit.catalog import services as catalog_services
    from tests.factories.catalog import DepartmentFactory

    dept = DepartmentFactory(code="tok-gone")
    issued = tokens.create_department_token(dept, name="采购系统", actor="test")
    assert tokens.authenticate(issued.secret).department_id == dept.pk
    assert tokens.hold_unrevoked(issued.token.pk)
    catalog_services.update_department(dept, is_active=False, actor="test")
    with pytest.raises(NotPermitted, match="所属部门已停用"):
        tokens.authenticate(issued.secret)
    assert not tokens.hold_unrevoked(issued.token.pk)  # a batch query it posted stops too
    assert Client().get(f"/api/v1/subjects/{f.org().uscc}",
                        headers={"Authorization": f"Bearer {issued.secret}"}).status_code == 403


def test_the_back_office_issues_tokens_only_to_an_active_department() -> None:
    from django.urls import reverse

    from tests.access.helpers import make_user, verified_client
    from tests.factories.catalog import DepartmentFactory

    client = verified_client(make_user("operator", "tok-op", superuser=True))
    client.raise_request_exception = False
    gone = DepartmentFactory(code="tok-inactive", is_active=False)
    for department in ("", str(gone.pk)):
        response = client.post(reverse("admin:access_apitoken_add"), {"name": "报送程序", "department": department})
        assert response.status_code == 200, response.status_code  # the form again, with its error
        assert response.context["adminform"].form.errors["department"]
    assert not ApiToken.objects.exists()
