"""The checkpoint signing key: an Ed25519 seed from ``PUBCREDIT_AUDIT_SIGNING_KEY`` (Art. 39).

The seed is 32 random bytes, base64, read from the environment by settings (required like
the PII keys). Only its public half ever leaves the server: :func:`public_key_b64` and the
key id (the first 16 hex digits of SHA-256 over the raw 32-byte public key) are published so
anyone can check checkpoints offline. The functions above :func:`configured_key` are pure.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SEED_SIZE = 32
ALGORITHM = "Ed25519"
_HINT = ('generate one with: python -c "import base64,os; print(base64.b64encode(os.urandom(32)).decode())"')


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    key_id: str


def _b64decode(text: str, what: str) -> bytes:
    value = text.strip().replace("-", "+").replace("_", "/")
    if not value:
        raise ValueError(f"the {what} is empty; {_HINT}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the {what} is not valid base64") from None


def generate_seed() -> str:
    """A fresh random seed, base64, for configuration."""
    return base64.b64encode(os.urandom(SEED_SIZE)).decode("ascii")


def public_raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the raw public key: names the key in each checkpoint."""
    return hashlib.sha256(public_raw(public)).hexdigest()[:16]


def load_seed(b64: str) -> SigningKey:
    """Decode a base64 32-byte seed into a signing key. Raises ValueError saying what is wrong."""
    raw = _b64decode(b64, "audit signing key")
    if len(raw) != SEED_SIZE:
        raise ValueError(f"the audit signing key must decode to exactly {SEED_SIZE} bytes, got {len(raw)}; {_HINT}")
    private = Ed25519PrivateKey.from_private_bytes(raw)
    public = private.public_key()
    return SigningKey(private=private, public=public, key_id=key_id(public))


def load_public_key(b64: str) -> Ed25519PublicKey:
    """Decode a published public key (base64 of the raw 32 bytes). Raises ValueError."""
    raw = _b64decode(b64, "public key")
    if len(raw) != SEED_SIZE:
        raise ValueError(f"an Ed25519 public key is {SEED_SIZE} bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_b64(public: Ed25519PublicKey) -> str:
    return base64.b64encode(public_raw(public)).decode("ascii")


def public_key_pem(public: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), for ``openssl pkeyutl -verify``."""
    return public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def sign(key: SigningKey, message: bytes) -> str:
    """The Ed25519 signature of ``message``, base64."""
    return base64.b64encode(key.private.sign(message)).decode("ascii")


def signature_error(public_keys: Mapping[str, Ed25519PublicKey], key_id_: str, message: bytes,
                    signature_b64: str) -> str | None:
    """None if ``signature_b64`` is a valid signature of ``message`` by key ``key_id_``, else why not."""
    public = public_keys.get(key_id_)
    if public is None:
        return f"signed by unknown key {key_id_!r}"
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return "signature is not valid base64"
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return "signature does not verify with the published key"
    return None


# --- from settings ---

@cache
def _load(b64: str) -> SigningKey:
    return load_seed(b64)


def configured_key() -> SigningKey:
    """The signing key from settings (``PUBCREDIT_AUDIT_SIGNING_KEY``); ImproperlyConfigured if bad."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return _load(settings.AUDIT_SIGNING_KEY)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PUBCREDIT_AUDIT_SIGNING_KEY: {exc}") from exc
