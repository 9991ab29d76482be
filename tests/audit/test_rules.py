"""The audit chain's pure rules: canonical form, hash and message formats (pinned), chain checking."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import pytest

from pubcredit.audit import keys, rules
from pubcredit.audit.rules import ChainChecker, CheckpointRow, EntryRow, ProblemKind

UTC8 = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 10, 0, 0, 123456, tzinfo=UTC8)
TEST_KEY = keys.load_seed("dGVzdC1hdWRpdC1lZDI1NTE5LXNlZWQtMzJieXRlcyE=")


def test_times_are_utc_with_six_fraction_digits() -> None:
    assert rules.format_time(T0) == "2026-03-02T02:00:00.123456Z"
    assert rules.format_time(T0.replace(microsecond=0)) == "2026-03-02T02:00:00.000000Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.format_time(dt.datetime(2026, 3, 2))  # noqa: DTZ001 - the naive value is the point


def test_canonical_json_sorts_keys_keeps_chinese_and_refuses_nan() -> None:
    assert rules.canonical_json({"b": 1, "a": [True, None, "杭州"]}) == '{"a":[true,null,"杭州"],"b":1}'.encode()
    with pytest.raises(ValueError, match="Out of range"):
        rules.canonical_json({"x": float("nan")})


def _row(seq: int = 1, prev: str = rules.GENESIS_HASH, **changes: object) -> EntryRow:
    row = EntryRow(seq=seq, id=7, at=T0, sealed_at=T0 + dt.timedelta(seconds=1), actor="dept:hz-scjgj",
                   actor_role="officer", event="access:query", object_type="subject", object_id="42",
                   subject_id=42, channel="api", data={"purpose": "行政审批"}, prev_hash=prev, entry_hash=None)
    return row._replace(**changes)


def test_entry_hash_follows_the_documented_formula() -> None:
    """Pinned: changing the format silently would make every sealed chain fail to verify."""
    content = rules.entry_content(_row())
    canonical = ('{"actor":"dept:hz-scjgj","actor_role":"officer","at":"2026-03-02T02:00:00.123456Z",'
                 '"channel":"api","data":{"purpose":"行政审批"},"event":"access:query","id":7,'
                 '"object_id":"42","object_type":"subject","sealed_at":"2026-03-02T02:00:01.123456Z",'
                 '"seq":1,"subject_id":42}')
    assert rules.canonical_json(content) == canonical.encode()
    expected = hashlib.sha256(b"pubcredit-audit-entry/v1\n" + b"0" * 64 + b"\n" + canonical.encode()).hexdigest()
    assert rules.entry_hash(rules.GENESIS_HASH, content) == expected


def test_every_content_column_and_the_previous_hash_change_the_hash() -> None:
    base = rules.entry_hash(rules.GENESIS_HASH, rules.entry_content(_row()))
    variants = [_row(actor="x"), _row(actor_role=""), _row(event="access:login"), _row(object_type="org"),
                _row(object_id="43"), _row(subject_id=None), _row(channel="web"), _row(data={"purpose": "x"}),
                _row(at=T0 + dt.timedelta(microseconds=1)), _row(sealed_at=T0), _row(seq=2), _row(id=8)]
    hashes = {rules.entry_hash(rules.GENESIS_HASH, rules.entry_content(v)) for v in variants}
    assert base not in hashes
    assert len(hashes) == len(variants)
    assert rules.entry_hash("1" * 64, rules.entry_content(_row())) != base


def test_checkpoint_message_format() -> None:
    assert rules.checkpoint_message(12, "ab" * 32, T0) == (
        b"pubcredit-audit-checkpoint/v1\n12\n" + b"ab" * 32 + b"\n2026-03-02T02:00:00.123456Z")


@pytest.mark.parametrize("event", ["catalog:version:published", "access:query", "a_b:c_d:e"])
def test_event_codes_accepted(event: str) -> None:
    assert rules.check_event(event) == event


@pytest.mark.parametrize("event", ["", "catalog", "Catalog:version", "catalog:", ":x", "catalog::x", "a:b c",
                                   "access:query1", "a-b:c", None, 3, "a:" + "b" * 100])
def test_event_codes_refused(event: object) -> None:
    with pytest.raises(ValueError, match="事件代码"):
        rules.check_event(event)


def test_mask_data_masks_resident_ids_everywhere() -> None:
    masked = rules.mask_data({"who": "身份证 330106199001011234", "330106199001011234": ["11010519491231002X", 5]})
    assert masked == {"who": "身份证 330106********1234", "330106********1234": ["110105********002X", 5]}


# --- the checker on hand-built chains ---

def _chain(n: int) -> list[EntryRow]:
    rows, prev = [], rules.GENESIS_HASH
    for seq in range(1, n + 1):
        row = _row(seq=seq, prev=prev, id=100 + seq)
        digest = rules.entry_hash(prev, rules.entry_content(row))
        rows.append(row._replace(entry_hash=digest))
        prev = digest
    return rows


def _signed(row: EntryRow, key: keys.SigningKey = TEST_KEY, cp_id: int = 1) -> CheckpointRow:
    assert row.seq is not None
    assert row.entry_hash is not None
    signature = keys.sign(key, rules.checkpoint_message(row.seq, row.entry_hash, T0))
    return CheckpointRow(id=cp_id, seq=row.seq, head_hash=row.entry_hash, created_at=T0, key_id=key.key_id,
                         signature=signature)


def _check(rows: list[EntryRow], checkpoints: Sequence[CheckpointRow] = ()) -> rules.Problem | None:
    public = {TEST_KEY.key_id: TEST_KEY.public}

    def signature_error(cp: CheckpointRow) -> str | None:
        return keys.signature_error(public, cp.key_id, rules.checkpoint_message(cp.seq, cp.head_hash, cp.created_at),
                                    cp.signature)

    checker = ChainChecker(checkpoints, signature_error)
    for row in rows:
        if checker.feed(row) is not None:
            break
    return checker.finish()


def test_an_intact_chain_with_checkpoints_has_no_problem() -> None:
    rows = _chain(5)
    assert _check(rows, [_signed(rows[1]), _signed(rows[4], cp_id=2)]) is None


def test_checker_names_the_first_problem() -> None:
    rows = _chain(5)
    problem = _check([*rows[:2], *rows[3:]])
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.MISSING_SEQ, 3)
    altered = rows.copy()
    altered[3] = altered[3]._replace(actor="someone else")
    problem = _check(altered)
    assert problem is not None
    assert (problem.kind, problem.seq, problem.entry_id) == (ProblemKind.CONTENT_ALTERED, 4, 104)


def test_a_checkpoint_by_another_key_is_refused() -> None:
    other = keys.load_seed(keys.generate_seed())
    rows = _chain(3)
    problem = _check(rows, [_signed(rows[2], key=other)])
    assert problem is not None
    assert problem.kind is ProblemKind.CHECKPOINT_SIGNATURE_INVALID
    assert "unknown key" in problem.message


def test_a_checkpoint_beyond_the_end_means_the_tail_was_deleted() -> None:
    rows = _chain(5)
    problem = _check(rows[:3], [_signed(rows[4])])
    assert problem is not None
    assert (problem.kind, problem.seq) == (ProblemKind.MISSING_SEQ, 4)
    assert "entries 4..5 were deleted" in problem.message


def test_keys_load_and_refuse() -> None:
    assert len(TEST_KEY.key_id) == 16
    assert keys.load_public_key(keys.public_key_b64(TEST_KEY.public)).public_bytes_raw() == keys.public_raw(
        TEST_KEY.public)
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        keys.load_seed("c2hvcnQ=")
    with pytest.raises(ValueError, match="not valid base64"):
        keys.load_seed("not base64!")
    with pytest.raises(ValueError, match="empty"):
        keys.load_seed("  ")
