"""Keyed look-up hash and AES-256-GCM encryption of resident IDs, including key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from pubcredit.codes import pii
from pubcredit.codes.pii import PiiDecryptError, decode_key, decrypt, encrypt, key_id_of, lookup_hash, reencrypt

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))
RESIDENT_ID = "11010519491231002X"


def test_decode_key_accepts_exactly_32_bytes() -> None:
    assert decode_key(base64.b64encode(KEY_1).decode()) == KEY_1
    assert decode_key(" " + base64.urlsafe_b64encode(KEY_2).decode() + "\n") == KEY_2
    assert len(decode_key(pii.generate_key())) == 32


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"x" * 16).decode(), "got 16"),
        (base64.b64encode(b"x" * 33).decode(), "got 33"),
    ],
)
def test_decode_key_rejects_with_clear_message(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        decode_key(text)
    assert "os.urandom(32)" in str(info.value)


def test_lookup_hash_is_stable_normalised_and_keyed() -> None:
    digest = lookup_hash(RESIDENT_ID, KEY_1)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert lookup_hash(" 11010519491231002x ", KEY_1) == digest
    assert lookup_hash(RESIDENT_ID, KEY_2) != digest
    assert lookup_hash("330106199001011234", KEY_1) != digest
    # Pin the construction: HMAC-SHA256 over the stripped, upper-cased UTF-8 value.
    assert digest == hmac.new(KEY_1, RESIDENT_ID.encode(), hashlib.sha256).hexdigest()


def test_lookup_hash_requires_a_32_byte_key() -> None:
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        lookup_hash(RESIDENT_ID, b"short")


def test_round_trip_and_layout() -> None:
    blob = encrypt(RESIDENT_ID, KEY_1, key_id=7)
    assert blob[0] == pii.FORMAT_VERSION
    assert blob[1] == 7
    assert len(blob) == 2 + 12 + len(RESIDENT_ID) + 16
    assert key_id_of(blob) == 7
    assert decrypt(blob, {7: KEY_1}) == RESIDENT_ID
    assert decrypt(memoryview(blob), {7: KEY_1}) == RESIDENT_ID


def test_ciphertext_never_contains_the_plain_id_and_is_randomised() -> None:
    first, second = encrypt(RESIDENT_ID, KEY_1), encrypt(RESIDENT_ID, KEY_1)
    assert first != second
    for blob in (first, second):
        assert RESIDENT_ID.encode() not in blob
        assert RESIDENT_ID[:6].encode() not in blob


@pytest.mark.parametrize("index", [0, 1, 2, 13, 14, 20, -1])
def test_any_flipped_byte_is_detected(index: int) -> None:
    blob = bytearray(encrypt(RESIDENT_ID, KEY_1, key_id=1))
    blob[index] ^= 0x01
    with pytest.raises(PiiDecryptError):
        decrypt(bytes(blob), {0: KEY_1, 1: KEY_1})


def test_truncated_blob_is_rejected() -> None:
    blob = encrypt(RESIDENT_ID, KEY_1)
    with pytest.raises(PiiDecryptError, match="known format"):
        decrypt(blob[:20], {1: KEY_1})


def test_wrong_key_and_wrong_purpose_are_rejected() -> None:
    blob = encrypt(RESIDENT_ID, KEY_1, key_id=1, purpose="resident_id")
    with pytest.raises(PiiDecryptError, match="authentication failed"):
        decrypt(blob, {1: KEY_2})
    with pytest.raises(PiiDecryptError, match="authentication failed"):
        decrypt(blob, {1: KEY_1}, purpose="phone")


def test_unknown_key_id_is_rejected_without_leaking() -> None:
    blob = encrypt(RESIDENT_ID, KEY_1, key_id=3)
    with pytest.raises(PiiDecryptError, match="no key with id 3") as info:
        decrypt(blob, {1: KEY_1})
    assert RESIDENT_ID not in str(info.value)


def test_rotation_old_key_id_still_decrypts_and_reencrypt_moves_to_new_key() -> None:
    old_blob = encrypt(RESIDENT_ID, KEY_1, key_id=1)
    keys = {1: KEY_1, 2: KEY_2}
    new_blob = encrypt(RESIDENT_ID, keys[2], key_id=2)
    assert decrypt(old_blob, keys) == RESIDENT_ID
    assert decrypt(new_blob, keys) == RESIDENT_ID

    moved = reencrypt(old_blob, keys, key_id=2)
    assert key_id_of(moved) == 2
    assert decrypt(moved, {2: KEY_2}) == RESIDENT_ID
    with pytest.raises(PiiDecryptError):
        decrypt(old_blob, {2: KEY_2})  # once the old key is retired


def test_encrypt_argument_checks() -> None:
    with pytest.raises(ValueError, match="key_id"):
        encrypt(RESIDENT_ID, KEY_1, key_id=256)
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        encrypt(RESIDENT_ID, b"k" * 16)
    with pytest.raises(ValueError, match="no key with id 9"):
        reencrypt(encrypt(RESIDENT_ID, KEY_1), {1: KEY_1}, key_id=9)


def test_unicode_values_round_trip() -> None:
    assert decrypt(encrypt("张三丰", KEY_1, purpose="name"), {1: KEY_1}, purpose="name") == "张三丰"


def test_bytes_round_trip_in_the_same_format_and_purposes_stay_apart() -> None:
    data = bytes(range(256)) * 40  # not text: a compressed batch answer, say
    blob = pii.encrypt_bytes(data, KEY_1, key_id=3, purpose="batch_query_results")
    assert (blob[0], blob[1], len(blob)) == (pii.FORMAT_VERSION, 3, 2 + 12 + len(data) + 16)
    assert pii.decrypt_bytes(blob, {3: KEY_1}, purpose="batch_query_results") == data
    with pytest.raises(PiiDecryptError):
        pii.decrypt_bytes(blob, {3: KEY_1}, purpose="batch_query_codes")
    text = encrypt(RESIDENT_ID, KEY_1, key_id=3)
    assert pii.decrypt_bytes(text, {3: KEY_1}) == RESIDENT_ID.encode("utf-8")  # a string is its UTF-8 bytes
