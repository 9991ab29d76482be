"""URLs printed on reports: the verify link the QR code encodes. Used by the API and the pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def verify_url(request: HttpRequest, code: str) -> str:
    """Absolute URL of the verify page of ``code``: ``PUBCREDIT_PUBLIC_URL`` (the platform's public
    address, optional) when set, else the address the request came in on."""
    path = reverse("reports:verify_code", args=[code])
    base = str(getattr(settings, "PUBCREDIT_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)
