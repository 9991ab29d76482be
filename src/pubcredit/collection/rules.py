"""Pure rules about collected records (no ORM)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any


def add_months(d: date, months: int) -> date:
    """``d`` plus whole calendar months; the 31st falls back to the month's last day."""
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def disclosure_end(decision: date | None, disclosure_months: int | None) -> date | None:
    """Last day an adverse record is disclosed (Art. 36; Zhejiang: 5 years from the finding).

    The period runs from the decision date; ``None`` when the entry sets no period or the
    record has no decision date (then it is disclosed until corrected or revoked).
    """
    if decision is None or not disclosure_months:
        return None
    return add_months(decision, disclosure_months)


def content_hash(data: dict[str, Any]) -> str:
    """A stable digest of a record's content, for idempotent resends (same content, same hash)."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
