"""Request-rate limits on the public read paths (anti-scraping): fixed windows per client.

Rules come from ``settings.PUBCREDIT_RATE_LIMITS``, a list of
``{"name", "pattern", "requests", "seconds"}``; the first rule whose ``pattern`` (a regular
expression) matches the start of the path applies. ``PUBCREDIT_RATE_LIMIT_ENABLED`` switches the
whole thing off (the default under the test settings; a test turns it on with ``settings``).

**Resident ID numbers** have a limit of their own (``PUBCREDIT_PERSON_CODE_LIMIT``, per hour): a
public page shows an ID masked as ``330106********1234`` (a legal representative's, say), and the
eight hidden digits are a birth date — a few thousand candidates once the check character has
ruled out ten in eleven. An exact look-up that finds the person would confirm the right one. So a
client without an API token may look up only so many valid resident ID numbers an hour, found or
not, through any path that takes a code (``person_code_named``). Token reads are identified and
logged; batch queries need a token.

The counter is one row per (rule, client) in the UNLOGGED table ``access_ratecounter``, bumped
by one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` — atomic, so every gunicorn worker and
every machine sharing the database counts together. PostgreSQL rather than Redis: Redis runs on
the developers' machines but not necessarily where the platform is deployed, and the database
is always there.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from pubcredit.access.login_models import RateCounter


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    requests: int
    seconds: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    hits: int
    limit: int
    retry_after: int  # seconds until the window ends


def enabled() -> bool:
    return bool(getattr(settings, "PUBCREDIT_RATE_LIMIT_ENABLED", False))


def _rules() -> list[Rule]:
    configured: list[dict[str, Any]] = getattr(settings, "PUBCREDIT_RATE_LIMITS", [])
    return [Rule(str(r["name"]), re.compile(str(r["pattern"])), int(r["requests"]), int(r["seconds"]))
            for r in configured]


def rule_for(path: str) -> Rule | None:
    """The first configured rule matching ``path``, or None when the path is not limited."""
    for rule in _rules():
        if rule.pattern.match(path):
            return rule
    return None


_HIT = """
INSERT INTO {table} AS c (bucket, window_end, hits) VALUES (%s, %s, 1)
ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN c.window_end >= EXCLUDED.window_end THEN c.hits + 1 ELSE 1 END,
    window_end = GREATEST(c.window_end, EXCLUDED.window_end)
RETURNING hits, window_end
"""
CLEANUP_EVERY_SECONDS = 600
_last_cleanup = 0.0


def hit(rule: Rule, client: str, *, now: float | None = None) -> Decision:
    """Count one request of ``client`` under ``rule``; allowed while within the limit."""
    global _last_cleanup  # a per-process housekeeping clock
    now = time.time() if now is None else now
    window_end = (math.floor(now) // rule.seconds + 1) * rule.seconds
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(_HIT.format(table=table), [f"{rule.name}:{client}"[:200], window_end])
        row = cursor.fetchone()
        if now - _last_cleanup > CLEANUP_EVERY_SECONDS:
            # Rows of ended windows are dead weight; each worker sweeps now and then.
            _last_cleanup = now
            cursor.execute(f"DELETE FROM {table} WHERE window_end < %s", [math.floor(now)])
    hits, current_end = (int(row[0]), int(row[1])) if row else (1, window_end)
    return Decision(allowed=hits <= rule.requests, hits=hits, limit=rule.requests,
                    retry_after=max(1, math.ceil(current_end - now)))


#: Paths that look up a subject by the code in them (the portal's subject pages, the API's subject
#: reads); the portal search takes its code in ``q``.
_CODE_IN_PATH = re.compile(r"^/(?:api/v1/)?subjects/([^/]+)")
SEARCH_PATH = "/search/"


def _is_resident_id(raw: str) -> bool:
    from pubcredit.codes.errors import CodeError
    from pubcredit.codes.identify import PERSON_SHAPE, identify_code

    # As the look-ups read it, and then some: spaces anywhere (padding, 6-8-4 groups) and full width
    # do not make another code. Stripped whole before anything is cut, or padding would hide it.
    code = "".join(unicodedata.normalize("NFKC", raw).split()).upper()
    if not PERSON_SHAPE.match(code):
        return False
    try:
        return identify_code(code, today=timezone.localdate()).kind == "resident_id"
    except CodeError:  # refused before any look-up: it tells nothing
        return False


def person_code_named(request: HttpRequest) -> bool:
    """Whether the request looks a subject up by a valid resident ID number (path or search)."""
    path = request.path_info
    if path == SEARCH_PATH:
        return _is_resident_id(request.GET.get("q", ""))
    found = _CODE_IN_PATH.match(path)
    return found is not None and _is_resident_id(found.group(1))


def person_code_rule() -> Rule | None:
    """The limit on resident ID numbers looked up by one client (None: not configured)."""
    limit: dict[str, Any] | None = getattr(settings, "PUBCREDIT_PERSON_CODE_LIMIT", None)
    if not limit:
        return None
    return Rule("person-code", _CODE_IN_PATH, int(limit["requests"]), int(limit["seconds"]))
