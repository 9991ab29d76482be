"""The database itself refuses to change or remove audit rows: no Django code path gets around it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from pubcredit.audit import services
from pubcredit.audit.models import AuditEntry, Checkpoint
from tests.audit.conftest import record, sealed_chain

pytestmark = pytest.mark.django_db


def refused(action: Callable[[], object], match: str = "append-only") -> None:
    """``action`` fails with a database error (inside a savepoint, so the test can go on)."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        action()


def raw(sql: str, params: list[object] | None = None) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    return run


def test_orm_cannot_update_or_delete_entries() -> None:
    record(2)
    entry = AuditEntry.objects.order_by("id").first()
    assert entry is not None
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(actor="x"))
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).delete())
    refused(lambda: AuditEntry.objects.all().delete())
    refused(entry.delete)
    entry.actor = "x"
    refused(entry.save)
    assert AuditEntry.objects.count() == 2
    assert AuditEntry.objects.filter(actor="x").count() == 0


def test_sealed_entries_cannot_be_changed_either() -> None:
    rows = sealed_chain(2)
    pk = rows[0].pk
    refused(lambda: AuditEntry.objects.filter(pk=pk).update(actor="x"))
    refused(lambda: AuditEntry.objects.filter(pk=pk).update(entry_hash="0" * 64))
    refused(lambda: AuditEntry.objects.filter(pk=pk).update(seq=None, prev_hash=None, entry_hash=None,
                                                            sealed_at=None))
    refused(lambda: AuditEntry.objects.filter(pk=pk).update(seq=99, prev_hash="1" * 64, entry_hash="2" * 64,
                                                            sealed_at=timezone.now()))


def test_raw_sql_cannot_update_delete_or_truncate() -> None:
    record(1)
    refused(raw("UPDATE audit_auditentry SET actor = 'x'"))
    refused(raw("UPDATE audit_auditentry SET data = '{\"purpose\": \"改过\"}'::jsonb"))
    refused(raw("DELETE FROM audit_auditentry"))
    # Test databases let Django's flush TRUNCATE (see migration 0002); strict mode is production's rule.
    refused(raw("SET LOCAL pubcredit.audit_strict = 'on'; TRUNCATE audit_auditentry"))
    refused(raw("SET LOCAL pubcredit.audit_strict = 'on'; TRUNCATE audit_auditentry CASCADE"))
    assert AuditEntry.objects.count() == 1


def test_new_entries_cannot_arrive_already_sealed() -> None:
    refused(lambda: AuditEntry.objects.create(event="access:query", actor="x", seq=1, prev_hash="0" * 64,
                                              entry_hash="1" * 64, sealed_at=timezone.now()))
    refused(lambda: AuditEntry.objects.bulk_create([AuditEntry(event="access:query", actor="x", seq=5)]))
    refused(raw("INSERT INTO audit_auditentry (actor, actor_role, event, object_type, object_id, channel, data, "
                "entry_hash) VALUES ('x', '', 'access:query', '', '', '', '{}', repeat('a', 64))"))


def test_the_sealing_update_may_not_touch_content() -> None:
    """Only the one-time filling of the chain columns passes; the content comparison is column by column."""
    record(1)
    pk = AuditEntry.objects.get().pk
    chain = "seq = 1, prev_hash = repeat('0', 64), entry_hash = repeat('a', 64), sealed_at = now()"
    for change in ["actor = 'x'", "actor_role = 'x'", "event = 'x:y'", "object_type = 'x'", "object_id = 'x'",
                   "subject_id = 7", "channel = 'web'", "data = '{}'::jsonb", "at = at - interval '1 day'",
                   "id = id + 1000"]:
        refused(raw(f"UPDATE audit_auditentry SET {chain}, {change} WHERE id = %s", [pk]))
    refused(raw("UPDATE audit_auditentry SET seq = 1 WHERE id = %s", [pk]))  # all four chain columns at once
    # A JSONB value equal as JSON but written differently (1 -> 1.0) is a change too.
    record(1, tag=1)
    other = AuditEntry.objects.filter(data__tag=1).get().pk
    refused(raw(f"UPDATE audit_auditentry SET {chain}, data = jsonb_set(data, '{{tag}}', '1.0') WHERE id = %s",
                [other]))
    assert services.seal() == 2  # the real sealer still goes through


def test_checkpoints_cannot_be_changed_or_removed() -> None:
    sealed_chain(2)
    cp = services.checkpoint()
    refused(lambda: Checkpoint.objects.filter(pk=cp.pk).update(signature="x"))
    refused(lambda: Checkpoint.objects.filter(pk=cp.pk).delete())
    refused(cp.delete)
    refused(raw("UPDATE audit_checkpoint SET head_hash = repeat('0', 64)"))
    refused(raw("DELETE FROM audit_checkpoint"))
    refused(raw("SET LOCAL pubcredit.audit_strict = 'on'; TRUNCATE audit_checkpoint"))
    assert Checkpoint.objects.get().signature == cp.signature


def test_the_event_code_shape_is_also_a_database_constraint() -> None:
    refused(raw("INSERT INTO audit_auditentry (actor, actor_role, event, object_type, object_id, channel, data) "
                "VALUES ('x', '', 'Not An Event', '', '', '', '{}')"), match="audit_entry_event_code")


def test_an_entry_cannot_be_backdated() -> None:
    """``at`` is the server's statement time whatever the INSERT says (audit/0005): a reviewer wrote an
    entry dated 2020-01-01 and it was sealed and verified like any other."""
    raw("INSERT INTO audit_auditentry (at, actor, actor_role, event, object_type, object_id, channel, data) "
        "VALUES ('2020-01-01T00:00:00+08:00', 'x', '', 'access:login', '', '', 'web', '{}')")()
    entry = AuditEntry.objects.get(actor="x")
    assert abs((entry.at - timezone.now()).total_seconds()) < 60


def test_the_query_log_and_issued_reports_are_append_only() -> None:
    """Art. 33, 39, 40: 谁查询了我 and the verification of an issued report rest on rows nobody may change
    or delete, the application's own database role included (access/0007, reports/0010)."""
    from pubcredit.access.models import QueryLog
    from pubcredit.access.readers import PUBLIC, Reader
    from pubcredit.reports import services as report_services
    from pubcredit.reports.models import IssuedReport
    from tests.factories import subjects as f

    person = f.person(name="王日志")
    report_services.issue_report(person, reader=Reader(kind="subject", subject_id=person.pk))
    QueryLog.objects.create(subject=person, reader_kind="agency", reader_name="x", levels=["authorized"],
                            entries=[], purpose="贷款审批", channel="api")
    issued = report_services.issue_report(f.org(), reader=PUBLIC).row
    for model in (QueryLog, IssuedReport):
        row = model.objects.order_by("id").first()
        assert row is not None
        refused(lambda m=model, r=row: m.objects.filter(pk=r.pk).update(id=r.pk))  # type: ignore[misc]
        refused(lambda m=model, r=row: m.objects.filter(pk=r.pk).delete())  # type: ignore[misc]
        refused(raw(f"DELETE FROM {model._meta.db_table}"))
    refused(raw("UPDATE reports_issuedreport SET content_digest = %s WHERE id = %s", ["f" * 64, issued.pk]))
    refused(raw("UPDATE access_querylog SET purpose = '个人兴趣'"))


def test_the_query_log_and_issued_reports_cannot_be_truncated() -> None:
    connection.cursor().execute("SET LOCAL pubcredit.audit_strict = on")  # as outside a test database
    refused(raw("TRUNCATE access_querylog CASCADE"))
    refused(raw("TRUNCATE reports_issuedreport CASCADE"))
