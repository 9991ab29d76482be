"""Keyed hashing and authenticated encryption of personal identifiers (resident IDs).

Keys are passed in, never read here: the Django side loads them from the environment.

* ``lookup_hash`` lets a record be found by its ID without storing the ID: HMAC-SHA256, so
  the 10^10-ish space of real IDs cannot be enumerated without the key.
* ``encrypt``/``decrypt`` keep the ID itself, AES-256-GCM. A blob is
  ``version (1) | key id (1) | nonce (12) | ciphertext + tag``. The header and the purpose are
  authenticated as associated data, so a blob cannot be moved to another purpose or relabelled
  with another key id. Rotation: encrypt under a new key id, keep the old keys in the mapping
  given to ``decrypt`` until ``reencrypt`` has moved every blob (``key_id_of`` tells which).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "FORMAT_VERSION",
    "KEY_SIZE",
    "PiiDecryptError",
    "decode_key",
    "decrypt",
    "decrypt_bytes",
    "encrypt",
    "encrypt_bytes",
    "generate_key",
    "key_id_of",
    "lookup_hash",
    "reencrypt",
]

FORMAT_VERSION = 1
KEY_SIZE = 32  # AES-256 and the HMAC key alike
_NONCE_SIZE = 12
_TAG_SIZE = 16
_HEADER_SIZE = 2
_DEFAULT_PURPOSE = "resident_id"


class PiiDecryptError(Exception):
    """A blob could not be decrypted: tampered, truncated, unknown key id or wrong purpose.

    The message never contains the blob or any plaintext.
    """


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_SIZE:
        size = len(key) if isinstance(key, bytes | bytearray) else type(key).__name__
        raise ValueError(f"a PII key must be exactly {KEY_SIZE} bytes, got {size}")
    return bytes(key)


def generate_key() -> str:
    """A fresh random key, base64-encoded, for configuration."""
    return base64.b64encode(os.urandom(KEY_SIZE)).decode("ascii")


def decode_key(b64: str) -> bytes:
    """Decode a base64 (standard or URL-safe) key; it must decode to exactly 32 bytes.

    Raises ValueError with a message that says what is wrong and how to make a key.
    """
    text = b64.strip().replace("-", "+").replace("_", "/")
    hint = 'generate one with: python -c "import base64,os; print(base64.b64encode(os.urandom(32)).decode())"'
    if not text:
        raise ValueError(f"the key is empty; {hint}")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the key is not valid base64; {hint}") from None
    if len(raw) != KEY_SIZE:
        raise ValueError(f"the key must decode to exactly {KEY_SIZE} bytes, got {len(raw)}; {hint}")
    return raw


def lookup_hash(value: str, key: bytes) -> str:
    """Hex HMAC-SHA256 of the normalised value (stripped, upper-case), under ``key``."""
    normalised = value.strip().upper().encode("utf-8")
    return hmac.new(_check_key(key), normalised, hashlib.sha256).hexdigest()


def _associated_data(header: bytes, purpose: str) -> bytes:
    # The header has a fixed length, so header + purpose is unambiguous.
    return header + purpose.encode("utf-8")


def encrypt(value: str, key: bytes, *, key_id: int = 1, purpose: str = _DEFAULT_PURPOSE) -> bytes:
    """Encrypt ``value`` with AES-256-GCM under ``key``, labelled ``key_id`` (0–255).

    A fresh random nonce is used each time, so equal values give different blobs.
    """
    return encrypt_bytes(value.encode("utf-8"), key, key_id=key_id, purpose=purpose)


def encrypt_bytes(data: bytes, key: bytes, *, key_id: int = 1, purpose: str = _DEFAULT_PURPOSE) -> bytes:
    """``encrypt`` for bytes: the same blob format (for larger values holding IDs, such as a batch
    query's codes or results)."""
    if not 0 <= key_id <= 255:
        raise ValueError(f"key_id must be between 0 and 255, got {key_id}")
    header = bytes((FORMAT_VERSION, key_id))
    nonce = os.urandom(_NONCE_SIZE)
    sealed = AESGCM(_check_key(key)).encrypt(nonce, bytes(data), _associated_data(header, purpose))
    return header + nonce + sealed


def key_id_of(blob: bytes | bytearray | memoryview) -> int:
    """The key id a blob was encrypted under (to find blobs still on an old key)."""
    data = bytes(blob)
    if len(data) < _HEADER_SIZE + _NONCE_SIZE + _TAG_SIZE or data[0] != FORMAT_VERSION:
        raise PiiDecryptError("not an encrypted PII blob of a known format")
    return data[1]


def decrypt(blob: bytes | bytearray | memoryview, keys: Mapping[int, bytes], *, purpose: str = _DEFAULT_PURPOSE) -> str:
    """Decrypt a blob made by ``encrypt``, choosing the key by the id in its header.

    ``keys`` holds the current key and every old key still in use. Raises PiiDecryptError on
    an unknown format or key id and when authentication fails (tampering, wrong purpose).
    """
    return decrypt_bytes(blob, keys, purpose=purpose).decode("utf-8")


def decrypt_bytes(blob: bytes | bytearray | memoryview, keys: Mapping[int, bytes], *,
                  purpose: str = _DEFAULT_PURPOSE) -> bytes:
    """``decrypt`` for a blob made by ``encrypt_bytes``: the bytes sealed."""
    data = bytes(blob)
    key_id = key_id_of(data)
    key = keys.get(key_id)
    if key is None:
        raise PiiDecryptError(f"no key with id {key_id} is configured")
    header = data[:_HEADER_SIZE]
    nonce = data[_HEADER_SIZE : _HEADER_SIZE + _NONCE_SIZE]
    sealed = data[_HEADER_SIZE + _NONCE_SIZE :]
    try:
        return AESGCM(_check_key(key)).decrypt(nonce, sealed, _associated_data(header, purpose))
    except InvalidTag:
        raise PiiDecryptError(
            f"authentication failed for key id {key_id}: the data was altered, or the key or purpose is wrong"
        ) from None


def reencrypt(
    blob: bytes | bytearray | memoryview,
    keys: Mapping[int, bytes],
    *,
    key_id: int,
    purpose: str = _DEFAULT_PURPOSE,
) -> bytes:
    """Decrypt with whichever key the blob names and encrypt again under ``keys[key_id]``."""
    if key_id not in keys:
        raise ValueError(f"no key with id {key_id} in the given keys")
    return encrypt(decrypt(blob, keys, purpose=purpose), keys[key_id], key_id=key_id, purpose=purpose)
