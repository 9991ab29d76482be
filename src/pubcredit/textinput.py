"""Text that people send us (purposes, reasons, names, search words, JSON bodies): what PostgreSQL
cannot store is refused at the edge, in one place.

PostgreSQL's text cannot hold the NUL character (U+0000), and UTF-8 cannot encode a lone UTF-16
surrogate (U+D800–U+DFFF, which a JSON ``\\ud800`` escape produces): either failed at the
database with a 500. ``one_line`` refuses both with a 400 that names the field (and collapses
whitespace, as every caller did before); ``unencodable_in`` finds a lone surrogate in a parsed
JSON body; ``storable`` keeps refused input (a rejected row as sent, a reason quoting it) with
such characters shown as U+FFFD. ``JSON_TOO_DEEP`` is what a JSON text nested deeper than
Python's parser goes is told (it raises RecursionError, not a decoding error: a 500 wherever only
the latter was caught); ``loads_json`` reads JSON without the NaN and Infinity that Python's
parser accepts and PostgreSQL does not.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pubcredit.errors import InvalidInput

NUL = "\x00"
NUL_REASON = "含有空字符（U+0000），无法保存；请删除后重试"
REPLACEMENT = "\ufffd"
JSON_TOO_DEEP = "JSON 嵌套层数过多，无法解析"
JSON_NOT_FINITE = "含有 NaN 或无穷大，不是有效的 JSON 数值"


class NotFiniteNumber(ValueError):
    """A JSON text with ``NaN``, ``Infinity`` or a number beyond a float (``1e999``)."""


def _refuse_constant(name: str) -> Any:
    raise NotFiniteNumber(JSON_NOT_FINITE)


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (math.inf, -math.inf):
        raise NotFiniteNumber(JSON_NOT_FINITE)
    return number


#: In an object read by ``loads_json``: the keys it named more than once (Python keeps the last value
#: silently — a fine of 200 where 2 was sent first). Not a key JSON can spell (it holds a NUL).
DUPLICATE_KEYS = "\x00duplicate_keys"


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        out[DUPLICATE_KEYS] = sorted({k for k, _ in pairs if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
    return out


def duplicate_keys(value: Any) -> list[str]:
    """The keys a JSON object read by ``loads_json`` named more than once (empty for anything else)."""
    return list(value.get(DUPLICATE_KEYS, ())) if isinstance(value, dict) else []


def loads_json(data: str | bytes) -> Any:
    """``json.loads`` as RFC 8259 reads JSON: ``NaN`` and ``Infinity`` (which Python's parser takes)
    and numbers that overflow a float raise NotFiniteNumber (a ValueError). PostgreSQL's jsonb
    refuses them: a row holding one failed its whole batch with a 500. An object that names a key
    twice keeps the last value and says so under ``DUPLICATE_KEYS`` (``duplicate_keys``): the caller
    refuses it — the platform does not guess which value was meant."""
    return json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float, object_pairs_hook=_pairs)


def surrogate_reason(codepoint: str) -> str:
    return f"含有不成对的代理字符（{codepoint}），不是有效的 Unicode 文本"


def lone_surrogate(text: str) -> str | None:
    """``U+XXXX`` of the first lone surrogate in ``text``, or None when it encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"U+{ord(text[exc.start]):04X}"
    return None


def refuse_unstorable(value: str | None, *, field: str) -> None:
    """Raise InvalidInput naming ``field`` when ``value`` holds a NUL character or a lone surrogate."""
    if value:
        if NUL in value:
            raise InvalidInput(NUL_REASON, field=field)
        bad = lone_surrogate(value)
        if bad is not None:
            raise InvalidInput(surrogate_reason(bad), field=field)


def one_line(value: str | None, *, field: str) -> str:
    """``value`` with runs of whitespace made one space and the ends trimmed ("" for None).

    Raises InvalidInput naming ``field`` when it holds a NUL character or a lone surrogate.
    """
    refuse_unstorable(value, field=field)
    return " ".join((value or "").split())


def unencodable_in(data: Any, path: str = "") -> tuple[str, str] | None:
    """(where, ``U+XXXX``) of the first lone surrogate in a parsed JSON value's keys or strings,
    ``where`` as ``rows.3.CF_WSH`` (list positions from 1); None when there is none."""
    if isinstance(data, str):
        bad = lone_surrogate(data)
        return (path, bad) if bad is not None else None
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            found = unencodable_in(key, where) if isinstance(key, str) else None
            found = found or unencodable_in(value, where)
            if found is not None:
                return found
    elif isinstance(data, list):
        for i, value in enumerate(data, start=1):
            found = unencodable_in(value, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def storable(text: str) -> str:
    """``text`` with any NUL or lone surrogate replaced by U+FFFD, for keeping what was refused
    (a rejected row as sent, a reason quoting it, a batch query's code) where it must be saved."""
    if NUL in text:
        text = text.replace(NUL, REPLACEMENT)
    if lone_surrogate(text) is None:
        return text
    return "".join(REPLACEMENT if "\ud800" <= ch <= "\udfff" else ch for ch in text)
