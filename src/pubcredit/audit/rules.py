"""The audit chain's pure rules: canonical form, hashing, checkpoint message, chain checking.

Art. 38 (no one may forge, alter or hide credit information), Art. 39 (no one may alter or
delete credit information or query logs in breach of the rules), Art. 51 (security and
archive duties). No Django here: an auditor can recompute everything from an export with
this module, ``hashlib`` and ``cryptography`` alone.

The formats (also in ``docs/audit.md``):

* Time: UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six fraction digits).
* Canonical JSON: ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
  allow_nan=False)`` encoded as UTF-8. ``data`` is the value a JSON parser returns for the
  stored JSONB text.
* ``entry_hash = sha256("pubcredit-audit-entry/v1\\n" + prev_hash + "\\n" + canonical(content))``
  in lower-case hex, where ``content`` holds every column except the two hashes:
  seq, id, at, sealed_at, actor, actor_role, event, object_type, object_id, subject_id,
  channel, data. ``prev_hash`` of seq 1 is 64 zeros.
* A checkpoint signs (Ed25519) the UTF-8 bytes of
  ``"pubcredit-audit-checkpoint/v1\\n{seq}\\n{head_hash}\\n{created_at}"``.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from pubcredit.codes.masking import mask_text

GENESIS_HASH = "0" * 64
ENTRY_PREFIX = "pubcredit-audit-entry/v1\n"
CHECKPOINT_PREFIX = "pubcredit-audit-checkpoint/v1"

#: ``catalog:version:published``: two or more lower-case words joined by colons.
EVENT_PATTERN = re.compile(r"^[a-z_]+(:[a-z_]+)+$")
EVENT_MAX_LENGTH = 100
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
CHANNELS = ("web", "api", "cli", "admin", "task")
#: A bound on one entry's ``data`` (serialised), so the log cannot be used as a file store.
DATA_MAX_BYTES = 256 * 1024


# --- canonical form and hashes ---

def format_time(moment: dt.datetime) -> str:
    """An aware datetime as UTC ``2026-03-02T02:00:00.000000Z`` (the only time format hashed or signed)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> bytes:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8, no NaN/Infinity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def time_text(moment: dt.datetime | str) -> str:
    """:func:`format_time`, or the value itself if the database already formatted it (see :data:`SELECT_ENTRY`)."""
    return moment if isinstance(moment, str) else format_time(moment)


class EntryRow(NamedTuple):
    """One audit entry as read for hashing, in the column order of :data:`ENTRY_COLUMNS`.

    ``at`` and ``sealed_at`` are datetimes or, as :data:`SELECT_ENTRY` reads them, already the
    UTC text of :func:`format_time` (formatting a million timestamps in SQL is much cheaper).
    """

    seq: int | None
    id: int
    at: dt.datetime | str
    sealed_at: dt.datetime | str | None
    actor: str
    actor_role: str
    event: str
    object_type: str
    object_id: str
    subject_id: int | None
    channel: str
    data: Any
    prev_hash: str | None
    entry_hash: str | None


#: Column names matching :class:`EntryRow`.
ENTRY_COLUMNS = EntryRow._fields


def sql_time(expression: str) -> str:
    """SQL giving exactly :func:`format_time`'s text for a ``timestamptz`` expression."""
    return f"""to_char(({expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


#: The SELECT list that reads an entry for hashing: times as canonical text, ``data`` as JSON text.
SELECT_ENTRY = ", ".join(
    sql_time(c) if c in ("at", "sealed_at") else "data::text" if c == "data" else c for c in ENTRY_COLUMNS)


def entry_from_db(raw: tuple[Any, ...]) -> EntryRow:
    """An :class:`EntryRow` from one row of ``SELECT {SELECT_ENTRY}`` (``data`` parsed from its text)."""
    (seq, id_, at, sealed_at, actor, actor_role, event, object_type, object_id, subject_id, channel, data,
     prev, digest) = raw
    return EntryRow(seq, id_, at, sealed_at, actor, actor_role, event, object_type, object_id, subject_id, channel,
                    json.loads(data) if isinstance(data, str | bytes) else data, prev, digest)


def entry_content(row: EntryRow, *, seq: int | None = None,
                  sealed_at: dt.datetime | str | None = None) -> dict[str, Any]:
    """The hashed content of an entry: every column except ``prev_hash`` and ``entry_hash``.

    ``seq`` and ``sealed_at`` can be given for a row that is being sealed (not stored yet).
    """
    seq_value = row.seq if seq is None else seq
    sealed = row.sealed_at if sealed_at is None else sealed_at
    return {
        "seq": seq_value,
        "id": row.id,
        "at": time_text(row.at),
        "sealed_at": time_text(sealed) if sealed is not None else None,
        "actor": row.actor,
        "actor_role": row.actor_role,
        "event": row.event,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "subject_id": row.subject_id,
        "channel": row.channel,
        "data": row.data,
    }


def entry_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """``sha256("pubcredit-audit-entry/v1\\n" + prev_hash + "\\n" + canonical(content))``, hex."""
    digest = hashlib.sha256()
    digest.update(ENTRY_PREFIX.encode("ascii"))
    digest.update(prev_hash.encode("ascii", errors="replace"))
    digest.update(b"\n")
    digest.update(canonical_json(content))
    return digest.hexdigest()


def checkpoint_message(seq: int, head_hash: str, created_at: dt.datetime) -> bytes:
    """The bytes a checkpoint signs: format name, seq, head hash and UTC time, one per line."""
    return f"{CHECKPOINT_PREFIX}\n{seq}\n{head_hash}\n{format_time(created_at)}".encode()


# --- checks on what callers record ---

def check_event(event: object) -> str:
    """Return the event code if it has the shape ``area:object:verb``; raise ValueError otherwise."""
    if not isinstance(event, str) or len(event) > EVENT_MAX_LENGTH or not EVENT_PATTERN.match(event):
        raise ValueError(f"事件代码应形如 catalog:version:published（小写字母和下划线，以冒号分隔），"
                         f"不超过 {EVENT_MAX_LENGTH} 个字符")
    return event


def mask_data(value: Any) -> Any:
    """A copy of ``value`` with every resident-ID-shaped run in strings (and keys) masked.

    A safety net only: callers pass masked values already (Art. 38 confidentiality).
    """
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {mask_text(k) if isinstance(k, str) else k: mask_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(v) for v in value]
    return value


def has_nul(value: Any) -> bool:
    """True if a string anywhere in ``value`` holds U+0000, which PostgreSQL text and JSONB refuse."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


# --- checking a chain ---

class ProblemKind(enum.StrEnum):
    CONTENT_ALTERED = "content altered"
    HASH_MISMATCH = "hash mismatch"
    MISSING_SEQ = "missing seq"
    CHECKPOINT_SIGNATURE_INVALID = "checkpoint signature invalid"
    CHECKPOINT_HEAD_MISMATCH = "checkpoint head mismatch"


@dataclass(frozen=True)
class Problem:
    """The first place where the chain is not what was sealed and signed.

    ``seq`` is the first broken position the evidence points at. For a checkpoint head
    mismatch the rewrite lies somewhere in ``first_possible_seq``..``seq`` (a signed head
    only says *that* the history up to it changed).
    """

    kind: ProblemKind
    seq: int
    message: str
    entry_id: int | None = None
    checkpoint_id: int | None = None
    first_possible_seq: int | None = None

    def __str__(self) -> str:
        where = f"seq {self.seq}" + (f" (id {self.entry_id})" if self.entry_id is not None else "")
        return f"{where}: {self.kind.value}: {self.message}"


class CheckpointRow(NamedTuple):
    id: int
    seq: int
    head_hash: str
    created_at: dt.datetime
    key_id: str
    signature: str


#: Returns None if the checkpoint's signature is good, else the reason it is not.
SignatureCheck = Callable[[CheckpointRow], "str | None"]


class ChainChecker:
    """Feed entries in ``seq`` order; the first :class:`Problem` found is returned and kept.

    Per entry: ``seq`` continues without a gap; ``prev_hash`` is the previous ``entry_hash``
    (genesis for seq 1); ``entry_hash`` is the hash of the entry's own content. When a link
    breaks but the later entry is self-consistent, the *earlier* entry was rewritten with a
    recomputed hash — it is the one named. Each checkpoint is checked when the chain reaches
    its seq: signature first, then its head against the stored (already re-verified) hash.
    """

    def __init__(self, checkpoints: Iterable[CheckpointRow], signature_error: SignatureCheck) -> None:
        self._pending = sorted(checkpoints, key=lambda c: (c.seq, c.id))
        self._signature_error = signature_error
        self.expected_seq = 1
        self.prev_hash = GENESIS_HASH
        self.prev_row: EntryRow | None = None
        self.last_good_checkpoint_seq = 0
        self.entries = 0
        self.checkpoints_checked = 0
        self.problem: Problem | None = None

    def feed(self, row: EntryRow) -> Problem | None:
        if self.problem is not None:
            return self.problem
        self.problem = self._check_row(row) or self._check_checkpoints_at(row)
        if self.problem is None:
            self.entries += 1
            self.expected_seq = (row.seq or 0) + 1
            self.prev_hash = row.entry_hash or ""
            self.prev_row = row
        return self.problem

    def finish(self) -> Problem | None:
        """After the last entry: a checkpoint beyond the chain's end means its tail was deleted."""
        if self.problem is not None:
            return self.problem
        for cp in self._pending:
            reason = self._signature_error(cp)
            if reason is not None:
                self.problem = self._bad_signature(cp, reason)
                return self.problem
            last = self.expected_seq - 1
            self.problem = Problem(
                ProblemKind.MISSING_SEQ, self.expected_seq, checkpoint_id=cp.id,
                message=(f"checkpoint {cp.id} signed seq {cp.seq}, but the chain ends at seq {last}: "
                         f"entries {last + 1}..{cp.seq} were deleted"),
            )
            return self.problem
        return None

    def _check_row(self, row: EntryRow) -> Problem | None:
        if row.seq != self.expected_seq:
            if row.seq is not None and row.seq > self.expected_seq:
                gap = (f"seq {self.expected_seq}" if row.seq == self.expected_seq + 1
                       else f"seq {self.expected_seq}..{row.seq - 1}")
                return Problem(ProblemKind.MISSING_SEQ, self.expected_seq,
                               message=f"{gap} missing (deleted, or its chain columns cleared); "
                                       f"the next entry is seq {row.seq} (id {row.id})")
            return Problem(ProblemKind.CONTENT_ALTERED, self.expected_seq, entry_id=row.id,
                           message=f"entry id {row.id} carries seq {row.seq} where seq {self.expected_seq} belongs")
        try:
            recomputed = entry_hash(row.prev_hash or "", entry_content(row))
        except (TypeError, ValueError) as exc:
            return Problem(ProblemKind.CONTENT_ALTERED, self.expected_seq, entry_id=row.id,
                           message=f"content cannot be serialised ({exc})")
        self_consistent = recomputed == row.entry_hash
        if row.prev_hash != self.prev_hash:
            prev = self.prev_row
            if self_consistent and prev is not None and prev.seq is not None:
                return Problem(ProblemKind.HASH_MISMATCH, prev.seq, entry_id=prev.id,
                               message=(f"its entry_hash is not the prev_hash recorded by seq {row.seq}: "
                                        f"seq {prev.seq} was rewritten and its hash recomputed"))
            if self_consistent:
                return Problem(ProblemKind.HASH_MISMATCH, row.seq, entry_id=row.id,
                               message="prev_hash of the first entry is not the genesis value")
            return Problem(ProblemKind.CONTENT_ALTERED, row.seq, entry_id=row.id,
                           message="prev_hash and entry_hash do not match the chain (entry edited)")
        if not self_consistent:
            return Problem(ProblemKind.CONTENT_ALTERED, row.seq, entry_id=row.id,
                           message="stored entry_hash does not match the entry's content "
                                   "(a content column or the hash column was edited)")
        return None

    def _check_checkpoints_at(self, row: EntryRow) -> Problem | None:
        while self._pending and self._pending[0].seq <= (row.seq or 0):
            cp = self._pending.pop(0)
            self.checkpoints_checked += 1
            reason = self._signature_error(cp)
            if reason is not None:
                return self._bad_signature(cp, reason)
            if cp.seq != row.seq:  # below the chain's current position: only possible for seq < 1
                return Problem(ProblemKind.CHECKPOINT_HEAD_MISMATCH, row.seq or 0, checkpoint_id=cp.id,
                               message=f"checkpoint {cp.id} names seq {cp.seq}, which no chain has")
            if cp.head_hash != row.entry_hash:
                first = self.last_good_checkpoint_seq + 1
                return Problem(
                    ProblemKind.CHECKPOINT_HEAD_MISMATCH, cp.seq, entry_id=row.id, checkpoint_id=cp.id,
                    first_possible_seq=first,
                    message=(f"checkpoint {cp.id} signed head {cp.head_hash[:16]}… at seq {cp.seq}, the chain "
                             f"has {(row.entry_hash or '')[:16]}…: entries in seq {first}..{cp.seq} were "
                             f"rewritten consistently after the checkpoint was signed"),
                )
            self.last_good_checkpoint_seq = cp.seq
        return None

    @staticmethod
    def _bad_signature(cp: CheckpointRow, reason: str) -> Problem:
        return Problem(ProblemKind.CHECKPOINT_SIGNATURE_INVALID, cp.seq, checkpoint_id=cp.id,
                       message=f"checkpoint {cp.id} at seq {cp.seq}: {reason}")
