"""Recording, sealing, checkpoints and verification of an untouched chain."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection

from pubcredit.audit import keys, queries, rules, services
from pubcredit.audit.models import AuditEntry, Checkpoint
from pubcredit.errors import Conflict, InvalidInput
from tests.audit.conftest import ACTOR, record, sealed_chain

pytestmark = pytest.mark.django_db


# --- record_event ---

def test_record_event_is_one_insert_and_unsealed(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        services.record_event("access:query", actor="dept:hz-scjgj", actor_role="officer", object_type="subject",
                              object_id=42, subject_id=42, channel="api",
                              data={"purpose": "行政审批", "matter": "M-001"})
    entry = AuditEntry.objects.get()
    assert (entry.event, entry.actor, entry.object_id, entry.subject_id, entry.channel) == (
        "access:query", "dept:hz-scjgj", "42", 42, "api")
    assert entry.data == {"purpose": "行政审批", "matter": "M-001"}
    assert entry.at is not None
    assert (entry.seq, entry.prev_hash, entry.entry_hash, entry.sealed_at) == (None, None, None, None)


def test_resident_ids_are_masked_as_a_safety_net() -> None:
    services.record_event("access:query", actor="agency:330106199001011234", object_id="330106199001011234",
                          data={"q": "查询 330106199001011234", "list": ["11010519491231002X"]})
    entry = AuditEntry.objects.get()
    assert entry.actor == "agency:330106********1234"
    assert entry.object_id == "330106********1234"
    assert entry.data == {"q": "查询 330106********1234", "list": ["110105********002X"]}


def test_a_digest_holding_an_id_shaped_run_is_recorded_as_it_is() -> None:
    # About one report digest in 800 has 18 decimal digits in a row; masked, the entry no
    # longer named the report it recorded.
    digest = "8e77699321c1ef512278737711532747d135a3a18ce22d760b268a2b1a982282"
    services.record_event("reports:report:issued", actor="agency:1", object_id="Q9TJYD1NDNY", data={"digest": digest})
    assert AuditEntry.objects.get().data == {"digest": digest}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"event": "Catalog:Published"}, "event"),
    ({"event": "published"}, "event"),
    ({"actor": ""}, "actor"),
    ({"actor": "   "}, "actor"),
    ({"actor": "x" * 201}, "actor"),
    ({"channel": "fax"}, "channel"),
    ({"subject_id": "42"}, "subject_id"),
    ({"subject_id": True}, "subject_id"),
    ({"data": {"when": object()}}, "data"),
    ({"data": {"x": float("nan")}}, "data"),
    ({"data": ["not", "an", "object"]}, "data"),
    ({"data": {"x": "a\x00b"}}, "data"),
    ({"data": {"x": "y" * (rules.DATA_MAX_BYTES + 1)}}, "data"),
    ({"object_id": "a\x00"}, "object_id"),
])
def test_record_event_refuses_bad_input(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"event": "access:query", "actor": ACTOR, **kwargs}
    with pytest.raises(InvalidInput) as info:
        services.record_event(args.pop("event"), **args)
    assert info.value.field == field
    assert not AuditEntry.objects.exists()


# --- seal ---

def test_seal_chains_rows_in_id_order_and_continues_the_chain() -> None:
    record(3)
    assert services.seal() == 3
    assert services.seal() == 0
    record(2)
    assert services.seal(max_rows=1) == 1
    assert services.seal() == 1
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert rows[0].prev_hash == rules.GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.entry_hash
    assert all(r.sealed_at is not None for r in rows)


def test_seal_refuses_a_bad_batch_size() -> None:
    with pytest.raises(InvalidInput):
        services.seal(0)


# --- checkpoint ---

def test_checkpoint_signs_the_head_and_is_idempotent() -> None:
    with pytest.raises(Conflict, match="尚无已封存"):
        services.checkpoint()
    rows = sealed_chain(4)
    cp = services.checkpoint()
    assert (cp.seq, cp.head_hash) == (4, rows[-1].entry_hash)
    assert services.checkpoint().pk == cp.pk
    assert Checkpoint.objects.count() == 1


def test_checkpoint_verifies_offline_with_the_published_key_only() -> None:
    """What an outside auditor does: the public key, the message format and ``cryptography``."""
    sealed_chain(2)
    cp = services.checkpoint()
    info = queries.public_key()
    assert info.key_id == cp.key_id
    assert info.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(info.public_key_b64))
    message = (f"pubcredit-audit-checkpoint/v1\n{cp.seq}\n{cp.head_hash}\n"
               f"{rules.format_time(cp.created_at)}").encode()
    public.verify(base64.b64decode(cp.signature), message)  # raises InvalidSignature if not


# --- verify, untouched ---

def test_verify_an_empty_log() -> None:
    report = queries.verify()
    assert report.ok
    assert (report.entries, report.checkpoints, report.unsealed) == (0, 0, 0)
    assert report.summary().startswith("OK: 0 entries, 0 checkpoints, verified in ")


def test_record_seal_checkpoint_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "VERIFY_FETCH", 3)  # several fetches from the server-side cursor
    record(5)
    services.seal_all()
    services.checkpoint()
    record(4)
    services.seal(max_rows=3)
    services.checkpoint()
    record(2)  # not sealed yet: counted, not a problem
    seen: list[tuple[int, int]] = []
    report = queries.verify(progress=lambda done, total: seen.append((done, total)))
    assert report.ok, report.summary()
    assert (report.entries, report.checkpoints, report.checked_checkpoints, report.unsealed) == (8, 2, 2, 3)
    assert report.oldest_unsealed_at is not None
    assert seen[-1] == (8, 8)
    assert len(seen) == 3
    assert "OK: 8 entries, 2 checkpoints, verified in" in report.summary()
    assert "(3 not sealed yet)" in report.summary()


def test_verify_with_the_wrong_public_key_fails_on_the_first_checkpoint() -> None:
    sealed_chain(3)
    services.checkpoint()
    stranger = keys.load_seed(keys.generate_seed()).public
    report = queries.verify(public_keys=[stranger])
    assert report.problem is not None
    assert report.problem.kind is rules.ProblemKind.CHECKPOINT_SIGNATURE_INVALID
    assert report.problem.seq == 3


def test_readers() -> None:
    record(3)
    services.record_event("access:login", actor="admin:alice", actor_role="operator", channel="web")
    assert queries.unsealed_count() == 4
    assert queries.head() is None
    services.seal_all()
    head = queries.head()
    assert head is not None
    assert head[0] == 4
    assert [e.event for e in queries.entries(event_prefix="access:login")] == ["access:login"]
    assert [e.object_id for e in queries.entries(object_type="subject", limit=2)] == ["2", "1"]
    assert [e.subject_id for e in queries.entries(subject_id=1001)] == [1001]
    assert queries.last_checkpoint_seq() == 0
    services.checkpoint()
    assert queries.last_checkpoint_seq() == 4
    assert [c.seq for c in queries.checkpoints()] == [4]


@pytest.mark.parametrize("moment", [
    dt.datetime(2026, 3, 2, 10, 0, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    dt.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2027, 1, 1, 0, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
])
def test_the_database_formats_times_exactly_as_rules_do(moment: dt.datetime) -> None:
    """Sealing hashes ``sealed_at`` formatted in Python; verifying reads it formatted by SQL."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rules.sql_time('%s::timestamptz')}", [moment])
        row = cursor.fetchone()
    assert row is not None
    assert row[0] == rules.format_time(moment)


# --- insert_with_events ---

_PLAIN_INSERT = ("INSERT INTO audit_auditentry (event, actor, actor_role, object_type, object_id, channel, data) "
                 "VALUES (%s, %s, '', 'note', '', '', '{}'::jsonb) RETURNING id")


@pytest.mark.parametrize("prepared", [True, False])
def test_insert_with_events_writes_each_row_with_its_entry_prepared_or_not(prepared: bool) -> None:
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    def write(actor: str) -> tuple[list[str], int]:
        event = services.prepare_event("access:query", actor=actor, object_type="query_log", subject_id=7,
                                       channel="api", data={"levels": ["authorized"]})
        with CaptureQueriesContext(connection) as captured:
            done = services.insert_with_events([services.Insert(_PLAIN_INSERT, ["catalog:version:published", actor],
                                                                event, object_id_is_new_id=True)])
        assert done is not None
        assert done[0]
        return [q["sql"] for q in captured.captured_queries], int(done[1][0])

    with override_settings(PUBCREDIT_PREPARED_STATEMENTS=prepared):
        first_sql, first_id = write("dept:a")
        second_sql, second_id = write("dept:b")
    assert len(second_sql) == 1  # one statement (the first use on a session also prepares it)
    assert ("/* prepared:" in second_sql[0]) == prepared
    for row_id, actor in ((first_id, "dept:a"), (second_id, "dept:b")):
        entry = AuditEntry.objects.get(object_type="query_log", object_id=str(row_id))
        assert (entry.event, entry.actor, entry.subject_id, entry.channel, entry.data) == (
            "access:query", actor, 7, "api", {"levels": ["authorized"]})
    assert first_sql


def test_insert_with_events_numbers_the_entries_in_the_order_of_the_inserts() -> None:
    """PostgreSQL runs a statement's data-modifying CTEs in no promised order (in practice the
    last first): the entries are written by one INSERT, ordered, so their ids follow the inserts."""
    events = [services.prepare_event("access:query", actor=f"dept:{n}", object_type="query_log", channel="api")
              for n in range(4)]
    done = services.insert_with_events([services.Insert(_PLAIN_INSERT, ["catalog:version:published", f"row{n}"],
                                                        event, object_id_is_new_id=True)
                                        for n, event in enumerate(events)])
    assert done is not None
    entries = list(AuditEntry.objects.filter(object_type="query_log").order_by("id").values_list("actor", flat=True))
    assert entries == ["dept:0", "dept:1", "dept:2", "dept:3"]
