"""The platform's report key: Ed25519, seed from ``PUBCREDIT_REPORT_SIGNING_KEY`` (Art. 38, 40).

Every issued report is signed (``rules.signed_message``) so that a report can be checked
offline against the published public key. The public key is published as base64 of its raw
32 bytes and as PEM; its key id is the first 16 hex digits of SHA-256 over the raw bytes (the
same convention as the audit checkpoints), stored with each signature so keys can be rotated:
the public keys of earlier report keys (``PUBCREDIT_REPORT_RETIRED_PUBLIC_KEYS``) stay published,
and each issued report is checked with the key its row names (``public_key_for``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM = "Ed25519"
_SEED_BYTES = 32


@dataclass(frozen=True)
class PublicKey:
    """A report key's public half, as published: raw bytes, base64, PEM and key id."""

    public_raw: bytes
    #: When a retired key stopped signing: a report it signs that claims a later issue time is forged
    #: (a key is often retired because it leaked). None: the current key, or retired without a time.
    retired_at: datetime | None = None

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.public_raw).hexdigest()[:16]

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode("ascii")

    @property
    def public_pem(self) -> str:
        return (Ed25519PublicKey.from_public_bytes(self.public_raw)
                .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii"))

    def signs_at(self, issued_at: datetime) -> bool:
        """Whether this key could have signed a report issued at ``issued_at``."""
        return self.retired_at is None or issued_at <= self.retired_at


@dataclass(frozen=True)
class ReportKey:
    """The signing key: its private half and the public half it publishes (``public``)."""

    private: Ed25519PrivateKey
    public_raw: bytes

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.public_raw)

    @property
    def key_id(self) -> str:
        return self.public.key_id

    @property
    def public_b64(self) -> str:
        return self.public.public_b64

    @property
    def public_pem(self) -> str:
        return self.public.public_pem


def key_from_seed(seed_b64: str) -> ReportKey:
    """A report key from its base64 seed; ValueError says what is wrong with it."""
    try:
        seed = base64.b64decode(seed_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the report signing key is not valid base64") from None
    if len(seed) != _SEED_BYTES:
        raise ValueError(f"the report signing key must decode to {_SEED_BYTES} bytes, not {len(seed)}")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return ReportKey(private, private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


@cache
def _cached(seed_b64: str) -> ReportKey:
    return key_from_seed(seed_b64)


def platform_key() -> ReportKey:
    """The configured key (settings ``REPORT_SIGNING_KEY``); ImproperlyConfigured if it is bad."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return _cached(str(settings.REPORT_SIGNING_KEY))
    except ValueError as exc:
        raise ImproperlyConfigured(f"PUBCREDIT_REPORT_SIGNING_KEY: {exc}") from exc


def sign(key: ReportKey, message: bytes) -> str:
    """The signature of ``message``, base64 (64 bytes → 88 characters)."""
    return base64.b64encode(key.private.sign(message)).decode("ascii")


def signature_valid(public_b64: str, message: bytes, signature_b64: str) -> bool:
    """Whether ``signature_b64`` signs ``message`` under the public key ``public_b64``."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64, validate=True))
        public.verify(base64.b64decode(signature_b64, validate=True), message)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def public_key_from_b64(value: str) -> PublicKey:
    """A published public key from base64 of its raw 32 bytes, optionally followed by ``@`` and the
    time it was retired (ISO 8601 with a zone, e.g. ``…=@2026-11-26T12:00:00Z``); ValueError says
    what is wrong."""
    key, _, when = value.strip().partition("@")
    try:
        raw = base64.b64decode(key.strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise ValueError(f"not an Ed25519 public key (base64 of 32 bytes): {key[:60]!r}") from None
    retired_at = None
    if when.strip():
        try:
            retired_at = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {when[:40]!r}") from None
        if retired_at.tzinfo is None:
            raise ValueError(f"the retirement time needs a zone (Z or +08:00): {when[:40]!r}")
    return PublicKey(raw, retired_at)


@cache
def _retired(values: tuple[str, ...]) -> tuple[PublicKey, ...]:
    return tuple(public_key_from_b64(v) for v in values)


def retired_keys() -> tuple[PublicKey, ...]:
    """The public keys of earlier report keys (settings ``REPORT_RETIRED_PUBLIC_KEYS``), oldest first;
    ImproperlyConfigured if one is bad."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return _retired(tuple(getattr(settings, "REPORT_RETIRED_PUBLIC_KEYS", ()) or ()))
    except ValueError as exc:
        raise ImproperlyConfigured(f"PUBCREDIT_REPORT_RETIRED_PUBLIC_KEYS: {exc}") from exc


def public_key_for(key_id: str) -> PublicKey | None:
    """The published public key with this key id: the current key's or a retired one's (None: unknown)."""
    current = platform_key().public
    if current.key_id == key_id:
        return current
    return next((k for k in retired_keys() if k.key_id == key_id), None)


def check_configuration() -> None:
    """Read the signing key and the retired public keys now: a server with a bad one stops at its start
    (``cli.serve``) with ImproperlyConfigured naming the setting, not at the first verification."""
    platform_key()
    retired_keys()
