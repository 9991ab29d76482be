"""Masking of personal data for display and logs.

Masking is for people reading a page or a log line; it is not protection at rest (see
``pii``). Every function fails closed: input of an unexpected shape is masked entirely.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ID_IN_TEXT_PATTERN", "RESIDENT_ID_PATTERN", "mask_ids_in_text", "mask_name", "mask_phone",
           "mask_resident_id", "mask_text"]

#: Anything shaped like an 18-character resident ID that is not part of a longer digit run.
RESIDENT_ID_PATTERN = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")

_NAME_SEPARATORS = "·•・. "  # kept: the dot in transliterated names like 阿卜杜·热合曼


def mask_resident_id(code: str) -> str:
    """``330106199001011234`` → ``330106********1234``: region and last four kept.

    A 15-digit old-style ID keeps its region and last three; any other length is fully masked.
    """
    value = code.strip()
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[14:]
    if len(value) == 15:
        return value[:6] + "*" * 6 + value[12:]
    return "*" * len(value)


def mask_name(name: str) -> str:
    """``张三丰`` → ``张*丰``, ``张三`` → ``张*``, ``张`` → ``*``: first and (from three on) last kept."""
    value = name.strip()
    if len(value) <= 1:
        return "*" * len(value)
    if len(value) == 2:
        return value[0] + "*"
    middle = "".join(ch if ch in _NAME_SEPARATORS else "*" for ch in value[1:-1])
    return value[0] + middle + value[-1]


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``.

    With seven or more digits the first three and last four digits are kept and the digits in
    between masked (separators stay; a ``+86``/``0086`` prefix is kept in addition); shorter
    numbers are masked entirely.
    """
    value = phone.strip()
    digit_positions = [i for i, ch in enumerate(value) if ch.isascii() and ch.isdigit()]
    digits = "".join(value[i] for i in digit_positions)
    prefix = next((len(p) for p in ("0086", "86") if digits.startswith(p) and len(digits) == len(p) + 11), 0)
    masked = digit_positions[prefix + 3 : -4] if len(digit_positions) - prefix >= 7 else digit_positions
    hidden = set(masked)
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


#: A hex digest or hash (SHA-256 of a report, a key id…): 32 or more hex digits in one token.
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_HEX_TOKEN_MIN = 32


def _inside_hex_token(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies inside a longer token of ASCII letters and digits that is
    all hex digits and at least ``_HEX_TOKEN_MIN`` long: part of a digest, not a resident ID."""
    left, right = start, end
    while left > 0 and text[left - 1].isascii() and text[left - 1].isalnum():
        left -= 1
    while right < len(text) and text[right].isascii() and text[right].isalnum():
        right += 1
    if (left, right) == (start, end) or right - left < _HEX_TOKEN_MIN:
        return False
    return all(ch in _HEX_DIGITS for ch in text[left:right])


def mask_text(text: str) -> str:
    """Mask every resident-ID-shaped run (17 digits + digit/X) in free text, e.g. log lines.

    Fails closed: a run is masked whether or not its date and check digit are valid (a mistyped ID
    is still someone's). The one exception is a run inside a hex digest (a token of 32 or more hex
    digits, such as a report's SHA-256): about one 64-digit digest in 800 holds 18 decimal
    digits in a row by chance, and masking it there falsified the digest the audit log recorded.
    """
    return RESIDENT_ID_PATTERN.sub(
        lambda m: m.group() if _inside_hex_token(text, m.start(), m.end()) else mask_resident_id(m.group()), text)


_DIGIT = "[0-9\uff10-\uff19]"  # ASCII or full-width
#: A resident ID number as people write it in free text: ASCII or full-width digits, the last one
#: possibly X, optionally grouped 6-8-4 by single spaces (``330106 19850615 5330``).
ID_IN_TEXT_PATTERN = re.compile(
    rf"(?<![0-9\uff10-\uff19]){_DIGIT}{{6}}[ \u3000]?{_DIGIT}{{8}}[ \u3000]?{_DIGIT}{{3}}"
    r"[0-9\uff10-\uff19Xx\uff38\uff58](?![0-9\uff10-\uff19])")


def mask_ids_in_text(text: str) -> str:
    """``text`` with every resident ID number in it masked (``330106********1234``), however written
    (``ID_IN_TEXT_PATTERN``), valid check digit or not (a mistyped ID is still someone's), as long as
    its digits 7 to 14 could be a birth date: that spares the many all-digit USCCs (whose digits
    there end the region code and start the organisation code) and digests. For free text that is
    stored or shown (records, declarations, rejection reasons); logs use :func:`mask_text`, which
    fails closed on every 18-digit run."""
    if len(text) < 18:
        return text

    def masked(found: re.Match[str]) -> str:
        code = unicodedata.normalize("NFKC", found.group()).replace(" ", "").upper()
        year, month, day = int(code[6:10]), int(code[10:12]), int(code[12:14])
        if not (1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31):
            return found.group()
        if _inside_hex_token(text, found.start(), found.end()):
            return found.group()
        return mask_resident_id(code)

    return ID_IN_TEXT_PATTERN.sub(masked, text)
