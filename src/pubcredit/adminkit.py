"""Shared pieces of the back-office (Django admin)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class ReadOnlyAdmin:
    """No add, change or delete: only viewing (the view permission is still required).

    For state that changes only through a service (logs, calendars, batches, records): editing a
    row here would bypass the service's checks and its audit entry.
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
