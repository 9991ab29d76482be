"""Test helpers for accounts and signed-in clients.

Staff accounts (officers, operators, auditors, superusers) reach nothing until their session has
passed the one-time code (``pubcredit.access.middleware.SecondFactorMiddleware``). A test about
something else signs them in with ``login_verified`` / ``verified_client`` instead of
``client.force_login``: the session is marked exactly as an accepted code marks it.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.test import Client

from pubcredit.access import accounts, otp
from pubcredit.access.models import User

PASSWORD = "Hangzhou-Credit-2026!"
_numbers = itertools.count(1)


def login_verified(client: Client, user: Any) -> Client:
    """Sign ``user`` in on ``client`` with the second factor already passed."""
    client.force_login(user)
    session = client.session
    session[otp.VERIFIED_SESSION_KEY] = user.pk
    session.save()
    return client


def verified_client(user: Any) -> Client:
    """A new client signed in as ``user``, second factor passed."""
    return login_verified(Client(), user)


def make_user(role: str, username: str = "", **kwargs: Any) -> User:
    """An account of ``role`` with ``PASSWORD``, made as the CLI makes it (officers get a department,
    subject and agency accounts a subject of their own)."""
    from tests.factories import subjects as f
    from tests.factories.catalog import DepartmentFactory

    n = next(_numbers)
    extra: dict[str, Any] = {}
    if role == "officer":
        extra["department_code"] = DepartmentFactory().code
    if role in ("subject", "agency"):
        extra["subject_code"] = f.org(name=f"杭州登录测试{n}有限公司").uscc or ""
    extra.update(kwargs)
    return accounts.create_account(username=username or f"{role}{n}", role=role, password=PASSWORD,
                                   actor="test", **extra)


def wrong_code(secret: str, now: Any = None) -> str:
    """A 6-digit code that no step accepted around ``now`` produces for ``secret``."""
    from datetime import timedelta

    from django.utils import timezone

    now = now or timezone.now()
    valid = {otp.code_at(secret, now + timedelta(seconds=otp.STEP_SECONDS * k)) for k in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in valid)
