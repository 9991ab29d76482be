"""Failed-login throttling: per username, per client address, and per account for one-time codes.

After ``failures`` failed attempts within ``window`` the key is locked for ``lockout``; while it
is locked every attempt is refused before the password or the code is even checked.

The counts are rows in PostgreSQL (``LoginThrottle``), not entries in Django's cache: the cache
is local memory per process, so with several gunicorn workers an attacker would get the limit
once per worker, and a restart would forget every lock. One SELECT per attempt, one upsert per
failure: the cost is paid on the login path only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pubcredit.access.login_models import LoginThrottle

USERNAME = "username"
IP = "ip"
TOTP = "totp"


@dataclass(frozen=True)
class Limit:
    failures: int
    window: timedelta
    lockout: timedelta


#: 5 wrong passwords for one account in 15 minutes lock it for 15 minutes. One address gets more
#: tries than one account: a government office sits behind one NAT address.
DEFAULT_LIMITS = {
    USERNAME: Limit(5, timedelta(minutes=15), timedelta(minutes=15)),
    IP: Limit(30, timedelta(minutes=15), timedelta(minutes=15)),
    TOTP: Limit(5, timedelta(minutes=15), timedelta(minutes=15)),
}


def limit(scope: str) -> Limit:
    """The limit for ``scope``; ``PUBCREDIT_LOGIN_THROTTLE[scope]`` (failures, window and lockout
    in seconds) overrides the default."""
    custom = getattr(settings, "PUBCREDIT_LOGIN_THROTTLE", {}).get(scope)
    if not custom:
        return DEFAULT_LIMITS[scope]
    return Limit(int(custom["failures"]), timedelta(seconds=int(custom["window"])),
                 timedelta(seconds=int(custom["lockout"])))


def lock_message(scope: str = USERNAME) -> str:
    """The message shown while locked, e.g. 登录失败次数过多，请 15 分钟后再试."""
    minutes = math.ceil(limit(scope).lockout.total_seconds() / 60)
    return _("登录失败次数过多，请 %(minutes)d 分钟后再试") % {"minutes": minutes}


def _key(scope: str, key: str) -> str:
    # Usernames differing only in case or spaces share one counter: stricter, never looser.
    return key.strip().lower()[:200] if scope == USERNAME else key[:200]


def locked_until(keys: Iterable[tuple[str, str]], *, now: datetime | None = None) -> datetime | None:
    """The end of the latest lock among ``keys`` (scope, key) still in force at ``now``, or None."""
    now = now or timezone.now()
    condition = Q()
    for scope, key in keys:
        condition |= Q(scope=scope, key=_key(scope, key))
    if not condition:
        return None
    latest: datetime | None = LoginThrottle.objects.filter(condition, locked_until__gt=now).aggregate(
        latest=Max("locked_until"))["latest"]
    return latest


_RECORD_FAILURE = """
INSERT INTO {table} AS t (scope, key, failures, window_started, locked_until)
VALUES (%(scope)s, %(key)s, 1, %(now)s, CASE WHEN %(limit)s <= 1 THEN %(until)s END)
ON CONFLICT (scope, key) DO UPDATE SET
    failures = CASE WHEN {fresh} THEN 1 ELSE t.failures + 1 END,
    window_started = CASE WHEN {fresh} THEN %(now)s ELSE t.window_started END,
    locked_until = CASE
        WHEN (CASE WHEN {fresh} THEN 1 ELSE t.failures + 1 END) >= %(limit)s THEN %(until)s
        WHEN {fresh} THEN NULL
        ELSE t.locked_until
    END
RETURNING locked_until
"""
# A count starts afresh when its window has passed or when the lock it led to has ended.
_FRESH = "(t.window_started <= %(window_start)s OR t.locked_until <= %(now)s)"


def record_failure(scope: str, key: str, *, now: datetime | None = None) -> datetime | None:
    """Count one failure for (scope, key); return the end of the lock if this failure locks it.

    One atomic statement, so concurrent failures in several workers are all counted.
    """
    now = now or timezone.now()
    rule = limit(scope)
    sql = _RECORD_FAILURE.format(table=LoginThrottle._meta.db_table, fresh=_FRESH)
    params: dict[str, str | int | datetime] = {
        "scope": scope, "key": _key(scope, key), "now": now, "limit": rule.failures,
        "until": now + rule.lockout, "window_start": now - rule.window,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    until: datetime | None = row[0] if row else None
    return until if until is not None and until > now else None


def clear(scope: str, key: str) -> None:
    """Forget the failures of (scope, key), after a success."""
    LoginThrottle.objects.filter(scope=scope, key=_key(scope, key)).delete()
