"""The two steps of signing in, with the failed-attempt throttle around each.

Views call these; they do not touch the throttle or the devices themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.contrib import auth
from django.http import HttpRequest
from django.utils import timezone

from pubcredit.access import otp, signals, throttle


class Outcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    WRONG_CODE = "wrong_code"
    REUSED_CODE = "reused_code"
    NO_DEVICE = "no_device"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    user: Any = None
    locked_until: datetime | None = None


def check_password(request: HttpRequest, username: str, password: str, *, ip: str,
                   now: datetime | None = None) -> Result:
    """Step one: the password, unless the username or the client address is locked.

    A failure counts against both; unknown usernames count too, so the answer does not tell
    whether an account exists. Success clears the username's count (not the address's).
    """
    now = now or timezone.now()
    until = throttle.locked_until([(throttle.USERNAME, username), (throttle.IP, ip)], now=now)
    if until is not None:
        return Result(Outcome.LOCKED, locked_until=until)
    user = auth.authenticate(request, username=username, password=password)
    if user is None:
        locks = [(scope, throttle.record_failure(scope, key, now=now))
                 for scope, key in ((throttle.USERNAME, username), (throttle.IP, ip))]
        for scope, lock in locks:
            if lock is not None:
                signals.login_locked.send(sender=__name__, username=username, ip=ip, at=now, scope=scope, until=lock)
        ends = [lock for _, lock in locks if lock is not None]
        if ends:
            return Result(Outcome.LOCKED, locked_until=max(ends))
        return Result(Outcome.BAD_CREDENTIALS)
    throttle.clear(throttle.USERNAME, username)
    return Result(Outcome.OK, user=user)


def _code_failed(user: Any, reason: str, *, ip: str, now: datetime) -> Result:
    signals.second_factor_failed.send(sender=__name__, user=user, ip=ip, at=now, reason=reason)
    until = throttle.record_failure(throttle.TOTP, str(user.pk), now=now)
    if until is not None:
        signals.login_locked.send(sender=__name__, username=user.get_username(), ip=ip, at=now,
                                  scope=throttle.TOTP, until=until)
        return Result(Outcome.LOCKED, user=user, locked_until=until)
    return Result(Outcome.WRONG_CODE if reason == "wrong" else Outcome.REUSED_CODE, user=user)


def check_code(user: Any, code: str, *, ip: str, now: datetime | None = None) -> Result:
    """Step two: the one-time code from the user's enrolled authenticator."""
    now = now or timezone.now()
    until = throttle.locked_until([(throttle.TOTP, str(user.pk))], now=now)
    if until is not None:
        return Result(Outcome.LOCKED, user=user, locked_until=until)
    check = otp.verify(user, code, now=now)
    if check is otp.Check.NO_DEVICE:
        return Result(Outcome.NO_DEVICE, user=user)
    if check is not otp.Check.OK:
        return _code_failed(user, check.value, ip=ip, now=now)
    throttle.clear(throttle.TOTP, str(user.pk))
    signals.second_factor_passed.send(sender=__name__, user=user, ip=ip, at=now)
    return Result(Outcome.OK, user=user)


def confirm_enrolment(user: Any, secret: str, code: str, *, ip: str, now: datetime | None = None) -> Result:
    """Enrolment: bind ``secret`` once a code from it is given; counts as passing step two."""
    now = now or timezone.now()
    until = throttle.locked_until([(throttle.TOTP, str(user.pk))], now=now)
    if until is not None:
        return Result(Outcome.LOCKED, user=user, locked_until=until)
    if otp.confirm_enrolment(user, secret, code, now=now) is not otp.Check.OK:
        return _code_failed(user, "wrong", ip=ip, now=now)
    throttle.clear(throttle.TOTP, str(user.pk))
    signals.totp_enrolled.send(sender=__name__, user=user, ip=ip, at=now, by="self")
    signals.second_factor_passed.send(sender=__name__, user=user, ip=ip, at=now)
    return Result(Outcome.OK, user=user)
