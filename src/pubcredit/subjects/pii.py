"""Resident ID numbers at rest: keyed look-up hash, authenticated encryption, masking.

The keys come from settings (environment); the arithmetic is in ``pubcredit.codes.pii``.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from pubcredit.codes import pii

PURPOSE = "resident_id"


@cache
def _hash_key() -> bytes:
    try:
        return pii.decode_key(settings.PII_HASH_KEY)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PUBCREDIT_PII_HASH_KEY: {exc}") from exc


@cache
def _enc_keys() -> dict[int, bytes]:
    keys: dict[int, bytes] = {}
    try:
        for item in settings.PII_ENC_OLD_KEYS:
            key_id, _, b64 = item.partition(":")
            keys[int(key_id)] = pii.decode_key(b64)
        keys[settings.PII_ENC_KEY_ID] = pii.decode_key(settings.PII_ENC_KEY)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PII encryption keys: {exc}") from exc
    return keys


def resident_id_hash(resident_id: str) -> str:
    """The keyed hash by which a person is looked up; the ID itself is never a key."""
    return pii.lookup_hash(resident_id, _hash_key())


def encrypt_resident_id(resident_id: str) -> bytes:
    return pii.encrypt(resident_id, _enc_keys()[settings.PII_ENC_KEY_ID],
                       key_id=settings.PII_ENC_KEY_ID, purpose=PURPOSE)


def decrypt_resident_id(blob: bytes) -> str:
    return pii.decrypt(bytes(blob), _enc_keys(), purpose=PURPOSE)


def seal(data: bytes, *, purpose: str) -> bytes:
    """Encrypt other data that holds resident ID numbers (a batch query's codes and results) under
    the same keys, for ``purpose``: a blob of one purpose cannot be read as another's."""
    return pii.encrypt_bytes(data, _enc_keys()[settings.PII_ENC_KEY_ID], key_id=settings.PII_ENC_KEY_ID,
                             purpose=purpose)


def unseal(blob: bytes | bytearray | memoryview, *, purpose: str) -> bytes:
    return pii.decrypt_bytes(blob, _enc_keys(), purpose=purpose)
