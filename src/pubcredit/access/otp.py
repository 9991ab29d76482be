"""The second factor: time-based one-time codes (TOTP, RFC 6238) for the staff roles.

Officers, operators and auditors (and any superuser or ``is_staff`` account, whatever its role)
must pass a code after the password before they reach anything; ``middleware.SecondFactorMiddleware``
enforces it. A session has passed when ``VERIFIED_SESSION_KEY`` holds the user's id, set only by
``mark_verified`` after a code was accepted here.

Codes: 6 digits, 30-second steps, one step of clock drift accepted either side. A code is
accepted once: the device keeps the step of the last accepted code and refuses that step and
every earlier one (RFC 6238 §5.2), in a single conditional UPDATE so two requests racing with
the same code cannot both pass.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

import pyotp
import qrcode  # type: ignore[import-untyped]
import qrcode.image.svg  # type: ignore[import-untyped]
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from pubcredit.access.login_models import TotpDevice
from pubcredit.access.models import Role
from pubcredit.codes import pii

STAFF_ROLES = frozenset({Role.OFFICER.value, Role.OPERATOR.value, Role.AUDITOR.value})
STEP_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1
VERIFIED_SESSION_KEY = "pubcredit_2fa_user"
ENROL_SESSION_KEY = "pubcredit_totp_enrol"
_PURPOSE = "totp_secret"


class Check(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    REUSED = "reused"
    NO_DEVICE = "no_device"


def needs_second_factor(user: Any) -> bool:
    """Whether ``user`` must pass a one-time code: the staff roles, and any admin-capable account."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_superuser", False) or getattr(user, "is_staff", False)
                or getattr(user, "role", None) in STAFF_ROLES)


def is_verified(request: HttpRequest) -> bool:
    """Whether this session's user has passed the second factor in this session."""
    user_id = getattr(request.user, "pk", None)
    return user_id is not None and request.session.get(VERIFIED_SESSION_KEY) == user_id


def mark_verified(request: HttpRequest) -> None:
    """Record in the session that its user passed the second factor (only after a code was accepted).

    The session key changes with the privilege, as on login, so a key observed earlier is useless.
    """
    request.session.cycle_key()
    request.session[VERIFIED_SESSION_KEY] = request.user.pk
    request.session.pop(ENROL_SESSION_KEY, None)


# --- secrets --------------------------------------------------------------------------------

def new_secret() -> str:
    """A fresh 160-bit secret, base32 (what authenticator apps expect)."""
    return pyotp.random_base32(length=32)


def issuer() -> str:
    return str(getattr(settings, "PUBCREDIT_TOTP_ISSUER", "杭州公共信用"))


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app reads (typed in or from the QR code)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=issuer())


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no image request, no inline style: fits the CSP)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg


def grouped(secret: str) -> str:
    """``ABCDEFGH…`` → ``ABCD EFGH …``, for typing the secret in by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@cache
def _keys() -> dict[int, bytes]:
    try:
        keys = {int(k): pii.decode_key(b64) for k, _, b64 in
                (item.partition(":") for item in settings.PII_ENC_OLD_KEYS)}
        keys[settings.PII_ENC_KEY_ID] = pii.decode_key(settings.PII_ENC_KEY)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PII encryption keys: {exc}") from exc
    return keys


def _seal(secret: str) -> bytes:
    key_id = settings.PII_ENC_KEY_ID
    return pii.encrypt(secret, _keys()[key_id], key_id=key_id, purpose=_PURPOSE)


def _open(blob: bytes | memoryview) -> str:
    return pii.decrypt(bytes(blob), _keys(), purpose=_PURPOSE)


# --- codes ----------------------------------------------------------------------------------

def normalize_code(code: str) -> str:
    return "".join(code.split())


def matching_step(secret: str, code: str, *, now: datetime | None = None) -> int | None:
    """The time step whose code equals ``code`` (now, or one step either side), or None."""
    code = normalize_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int((now or timezone.now()).timestamp()) // STEP_SECONDS
    found: int | None = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):  # no early exit: constant work
            found = step
    return found


def code_at(secret: str, now: datetime) -> str:
    """The code for ``now`` (for tests and for the CLI's self-check)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(
        int(now.timestamp()) // STEP_SECONDS)


# --- devices --------------------------------------------------------------------------------

def has_device(user: Any) -> bool:
    return TotpDevice.objects.filter(user_id=user.pk).exists()


def enrol(user: Any, secret: str, *, by: str, now: datetime | None = None,
          used_step: int | None = None) -> TotpDevice:
    """Bind ``secret`` as ``user``'s authenticator, replacing any earlier one."""
    now = now or timezone.now()
    device, _ = TotpDevice.objects.update_or_create(
        user_id=user.pk,
        defaults={"secret": _seal(secret), "enrolled_at": now, "enrolled_by": by[:150],
                  "last_used_step": used_step, "last_used_at": now if used_step is not None else None},
    )
    return device


def confirm_enrolment(user: Any, secret: str, code: str, *, now: datetime | None = None) -> Check:
    """Bind ``secret`` once the user proves with ``code`` that the app has it; the code is used up."""
    now = now or timezone.now()
    step = matching_step(secret, code, now=now)
    if step is None:
        return Check.WRONG
    enrol(user, secret, by="self", now=now, used_step=step)
    return Check.OK


def verify(user: Any, code: str, *, now: datetime | None = None) -> Check:
    """Check ``code`` against ``user``'s device; a code is accepted at most once."""
    now = now or timezone.now()
    device = TotpDevice.objects.filter(user_id=user.pk).first()
    if device is None:
        return Check.NO_DEVICE
    step = matching_step(_open(device.secret), code, now=now)
    if step is None:
        return Check.WRONG
    fresh = Q(last_used_step__isnull=True) | Q(last_used_step__lt=step)
    if not TotpDevice.objects.filter(fresh, pk=device.pk).update(last_used_step=step, last_used_at=now):
        return Check.REUSED
    return Check.OK


def remove(user: Any) -> bool:
    """Unbind ``user``'s authenticator (an operator's reset); True if there was one."""
    deleted, _ = TotpDevice.objects.filter(user_id=user.pk).delete()
    return deleted > 0
