"""URLs printed on reports: the verify link the QR code encodes. Used by the API and the pages."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

_SLOT = "0000000000000000"  # a verification code's shape: what ``reverse`` sees in its place


@lru_cache(maxsize=64)
def _verify_path(script_prefix: str, urlconf: str) -> tuple[str, str]:
    """The verify page's path around its code, once per script prefix and URL configuration
    (``reverse`` walks the URL patterns on every call; every report prints this link)."""
    path = reverse("reports:verify_code", args=[_SLOT], urlconf=urlconf)
    head, _, tail = path.rpartition(_SLOT)
    return head, tail


def verify_url(request: HttpRequest, code: str) -> str:
    """Absolute URL of the verify page of ``code``: ``PUBCREDIT_PUBLIC_URL`` (the platform's public
    address, optional) when set, else the address the request came in on."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    if isinstance(urlconf, str) and code.replace("-", "").isalnum() and code.isascii():  # nothing to quote
        head, tail = _verify_path(get_script_prefix(), urlconf)
        path = f"{head}{code}{tail}"
    else:
        path = reverse("reports:verify_code", args=[code])
    base = str(getattr(settings, "PUBCREDIT_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)
