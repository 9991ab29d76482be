"""Login events for whoever records them (the audit chain hooks in here).

Django's own ``user_logged_in``/``user_login_failed`` still fire; these add what Django does not
know about. Every receiver gets ``user`` (or ``username``), ``ip`` and ``at`` keyword arguments.
"""

from __future__ import annotations

from django.dispatch import Signal

#: A staff account passed its one-time code: from here on the session is fully signed in.
second_factor_passed = Signal()
#: A wrong or replayed one-time code (``reason``: "wrong" or "reused").
second_factor_failed = Signal()
#: A username, address or account got locked by the failed-login throttle (``scope``, ``until``).
login_locked = Signal()
#: An authenticator was bound (``by``: "self" or "cli:<actor>") or removed.
totp_enrolled = Signal()
totp_removed = Signal()
#: An account was created, changed (``changed``, ``old``, ``new``), disabled or enabled again, or
#: its password set (``usable``; never the password), through ``access.accounts``.
account_created = Signal()
account_updated = Signal()
account_disabled = Signal()
account_enabled = Signal()
password_set = Signal()
