"""Tampering as someone with database access would do it — triggers off — and ``verify`` catching it.

Each test seals a short chain, signs checkpoints, attacks it with raw SQL and expects
``verify`` to name the first broken seq and what is wrong.
"""

from __future__ import annotations

import base64
import json

import pytest

from pubcredit.audit import keys, queries, rules, services
from pubcredit.audit.models import AuditEntry
from pubcredit.audit.rules import ProblemKind
from tests.audit.conftest import attacker, read_row, record, rewrite, sealed_chain

pytestmark = pytest.mark.django_db


def broken() -> rules.Problem:
    report = queries.verify()
    assert report.problem is not None, "verify did not notice"
    return report.problem


@pytest.mark.parametrize("how", ["disable", "replica"])
def test_a_content_column_changed(how: str) -> None:
    rows = sealed_chain(10)
    services.checkpoint()
    with attacker(how) as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor = 'dept:someone-else' WHERE seq = 5")
    problem = broken()
    assert (problem.kind, problem.seq, problem.entry_id) == (ProblemKind.CONTENT_ALTERED, 5, rows[4].id)
    assert "content" in problem.message


@pytest.mark.parametrize("change", [
    "data = jsonb_set(data, '{purpose}', '\"个人兴趣\"')",
    "at = at - interval '1 hour'",
    "subject_id = NULL",
    "event = 'access:login'",
    "entry_hash = repeat('f', 64)",
    "sealed_at = sealed_at + interval '1 second'",
])
def test_any_column_changed(change: str) -> None:
    sealed_chain(6)
    with attacker() as cursor:
        cursor.execute(f"UPDATE audit_auditentry SET {change} WHERE seq = 3")
    problem = broken()
    assert (problem.kind, problem.seq) == (ProblemKind.CONTENT_ALTERED, 3)


def test_b_a_row_deleted() -> None:
    sealed_chain(10)
    with attacker() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 5")
    problem = broken()
    assert (problem.kind, problem.seq) == (ProblemKind.MISSING_SEQ, 5)
    assert "seq 5 missing" in problem.message


def test_b_rows_deleted_from_the_tail_under_a_checkpoint() -> None:
    sealed_chain(10)
    services.checkpoint()
    with attacker("replica") as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq >= 8")
    problem = broken()
    assert (problem.kind, problem.seq) == (ProblemKind.MISSING_SEQ, 8)
    assert "entries 8..10 were deleted" in problem.message


def test_b_a_row_unsealed_to_hide_it() -> None:
    sealed_chain(5)
    with attacker() as cursor:
        cursor.execute("UPDATE audit_auditentry SET seq = NULL, prev_hash = NULL, entry_hash = NULL, "
                       "sealed_at = NULL WHERE seq = 2")
    report = queries.verify()
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.MISSING_SEQ, 2)
    assert report.unsealed == 1


def test_c_a_row_changed_and_its_hash_recomputed() -> None:
    rows = sealed_chain(10)
    with attacker() as cursor:
        rewrite(cursor, 5, rows[3].entry_hash or "", actor="dept:someone-else")
    problem = broken()
    assert (problem.kind, problem.seq, problem.entry_id) == (ProblemKind.HASH_MISMATCH, 5, rows[4].id)
    assert "seq 5 was rewritten" in problem.message


def test_c_the_last_row_changed_and_rehashed_is_caught_by_its_checkpoint() -> None:
    rows = sealed_chain(4)
    services.checkpoint()
    with attacker() as cursor:
        rewrite(cursor, 4, rows[2].entry_hash or "", data={"purpose": "改过"})
    problem = broken()
    assert (problem.kind, problem.seq) == (ProblemKind.CHECKPOINT_HEAD_MISMATCH, 4)


def _rewrite_tail(from_seq: int, to_seq: int) -> None:
    """Change entry ``from_seq`` and recompute every hash after it: a consistent forged history."""
    prev = read_row(from_seq - 1).entry_hash or ""
    with attacker() as cursor:
        for seq in range(from_seq, to_seq + 1):
            changes = {"actor": "dept:someone-else"} if seq == from_seq else {}
            prev = rewrite(cursor, seq, prev, **changes)


def test_d_the_whole_tail_rewritten_consistently_is_caught_by_the_signed_checkpoint() -> None:
    record(3)
    services.seal_all()
    services.checkpoint()  # seq 3: before the rewrite, still good
    record(7)
    services.seal_all()
    cp = services.checkpoint()  # seq 10
    _rewrite_tail(5, 10)
    problem = broken()
    assert (problem.kind, problem.seq, problem.checkpoint_id) == (ProblemKind.CHECKPOINT_HEAD_MISMATCH, 10, cp.id)
    assert problem.first_possible_seq == 4
    assert "seq 4..10 were rewritten" in problem.message


def test_d_a_rewrite_that_also_deletes_later_checkpoints_is_caught_by_a_kept_copy() -> None:
    """Signed heads kept outside the database (``pubcredit audit checkpoints --json``) still catch it."""
    sealed_chain(3)
    services.checkpoint()
    record(5)
    services.seal_all()
    services.checkpoint()  # seq 8, published
    kept = [queries.parse_checkpoint_record(json.loads(json.dumps(queries.checkpoint_record(c))))
            for c in queries.checkpoints()]
    _rewrite_tail(4, 8)
    with attacker() as cursor:
        cursor.execute("DELETE FROM audit_checkpoint WHERE seq > 3")
    assert queries.verify().ok  # without outside evidence the forged tail looks fine…
    report = queries.verify(extra_checkpoints=kept)  # …with the kept copy it does not
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.CHECKPOINT_HEAD_MISMATCH, 8)


def test_e_a_forged_checkpoint_signature() -> None:
    sealed_chain(5)
    cp = services.checkpoint()
    forged = base64.b64encode(bytes(64)).decode()
    with attacker() as cursor:
        cursor.execute("UPDATE audit_checkpoint SET signature = %s WHERE id = %s", [forged, cp.id])
    problem = broken()
    assert (problem.kind, problem.seq, problem.checkpoint_id) == (ProblemKind.CHECKPOINT_SIGNATURE_INVALID, 5, cp.id)


def test_e_a_checkpoint_signed_with_the_attackers_own_key() -> None:
    rows = sealed_chain(5)
    services.checkpoint()
    _rewrite_tail(2, 5)
    own = keys.load_seed(keys.generate_seed())
    head = read_row(5).entry_hash or ""
    cp = services.checkpoint()  # the genuine one at seq 5 …
    with attacker() as cursor:  # … replaced by one over the forged head, signed by the attacker
        message = rules.checkpoint_message(5, head, cp.created_at)
        cursor.execute("UPDATE audit_checkpoint SET head_hash = %s, key_id = %s, signature = %s WHERE id = %s",
                       [head, own.key_id, keys.sign(own, message), cp.id])
    problem = broken()
    assert (problem.kind, problem.seq) == (ProblemKind.CHECKPOINT_SIGNATURE_INVALID, 5)
    assert "unknown key" in problem.message
    assert rows[0].entry_hash == read_row(1).entry_hash


def test_e_a_checkpoint_head_edited() -> None:
    sealed_chain(3)
    cp = services.checkpoint()
    with attacker() as cursor:
        cursor.execute("UPDATE audit_checkpoint SET head_hash = repeat('0', 64) WHERE id = %s", [cp.id])
    assert broken().kind is ProblemKind.CHECKPOINT_SIGNATURE_INVALID


def test_two_rows_swapped() -> None:
    sealed_chain(6)
    with attacker() as cursor:
        cursor.execute("UPDATE audit_auditentry SET seq = seq + 100 WHERE seq IN (3, 4)")
        cursor.execute("UPDATE audit_auditentry SET seq = 107 - seq WHERE seq IN (103, 104)")
    problem = broken()
    assert problem.seq == 3


def test_the_first_break_is_named_when_there_are_several() -> None:
    sealed_chain(10)
    with attacker() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor = 'x' WHERE seq = 7")
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 4")
        cursor.execute("UPDATE audit_auditentry SET data = %s::jsonb WHERE seq = 2", [json.dumps({"a": 1})])
    problem = broken()
    assert (problem.kind, problem.seq) == (ProblemKind.CONTENT_ALTERED, 2)
    assert AuditEntry.objects.filter(seq__isnull=False).count() == 9
