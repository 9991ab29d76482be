"""Streaming row sources for submitted files and bodies (Art. 13: collection by file and by API).

``open_rows(file, filename=...)`` reads CSV (UTF-8 with or without BOM, or GB18030), JSON lines
or XLSX (first sheet) one row at a time: a 1 M-row file never sits in memory whole. Each row
comes out as ``(row_number, {column: value})``.

**Row numbers** are *data row* numbers, the same in every format: the first row below the
header is data row 1 (in a spreadsheet that is sheet row 2, in a CSV file line 2 when no cell
spans lines); in JSON lines, line N is data row N. Blank rows are skipped but still counted, so
the number always points at the row the department sees.

A file that cannot be read as a whole (not one of the formats, undecodable, no header, empty or
duplicated column names, a CSV quote left open over the rows after it) raises
:class:`pubcredit.errors.InvalidInput` with one line naming the problem. A single malformed row (a
CSV or Excel row with more cells than the header, a JSON line that is not an object, an Excel
formula saved without its result) is passed on carrying :data:`ROW_PROBLEM`, so the validator
rejects just that row; the row's other keys are the row as sent (what the header names; what the
reader could not place is quoted in the reason), which the rejected-rows file shows.
Columns are checked against the catalog by the caller (``columns`` is known before the first
row for CSV and XLSX).
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import json
import math
import os
import re
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, BinaryIO, Final

from pubcredit.catalog.rules import prohibited_category
from pubcredit.codes.masking import mask_ids_in_text
from pubcredit.collection.rules import canonical_json
from pubcredit.errors import InvalidInput
from pubcredit.textinput import (
    DUPLICATE_KEYS,
    JSON_NOT_FINITE,
    JSON_TOO_DEEP,
    NotFiniteNumber,
    loads_json,
    surrogate_reason,
    unencodable_in,
)

Row = tuple[int, dict[str, Any]]

#: Key carried by a row the reader could not split into columns; its value is the reason.
ROW_PROBLEM = "\x00row_problem"

#: The longest line (one row) a CSV or JSON Lines file may have, in characters: far above any
#: catalog's row (a few kB), far below what would exhaust a worker's memory.
MAX_LINE_CHARS = 1024 * 1024
# Python's csv module refuses a field longer than ``csv.field_size_limit()`` (131,072 characters
# by default) with an English error, though a line may hold MAX_LINE_CHARS. The limit is a
# process-wide setting of the csv module: it is raised here, once, at import, to at least the
# documented line limit, and never lowered (another module may have raised it further). A value
# beyond MAX_LINE_CHARS can only span lines; ``_csv_rows`` refuses it in Chinese either way.
if csv.field_size_limit() < MAX_LINE_CHARS:
    csv.field_size_limit(MAX_LINE_CHARS)
#: Limits of an Excel workbook, checked before it is parsed (a ZIP can expand a thousandfold):
#: its parts' declared sizes when unpacked, their compression ratio, the shared-string part
#: (which the Excel reader keeps in memory whole), and the first worksheet's shape.
XLSX_MAX_UNPACKED = 2 * 1024**3
XLSX_MAX_RATIO = 200  # Excel's own parts compress 5–20×; checked for parts above 1 MiB
XLSX_MAX_SHARED_STRINGS = 128 * 1024**2
XLSX_MAX_COLUMNS = 1024
XLSX_MAX_ROWS = 1_048_576  # Excel's own limit
SNIFF_BYTES = 64 * 1024
#: An all-ASCII start says nothing about the encoding: read on (up to this much) to the first other byte.
SNIFF_MAX = 8 * 1024 * 1024
_BUFFER = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other OLE documents)
_CSV_EXT = (".csv", ".txt", ".tsv")
_JSONL_EXT = (".jsonl", ".ndjson", ".json")
_XLSX_EXT = (".xlsx", ".xlsm")
FORMAT_LABELS = {"csv": "CSV", "jsonl": "JSON Lines", "xlsx": "Excel（.xlsx）", "json": "JSON"}


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, field="file")


class RowSource:
    """Rows of one submission, read lazily. Iterate once.

    ``format`` is ``csv``, ``jsonl``, ``xlsx`` or ``json`` (rows given in a request body);
    ``encoding`` says how a text file was decoded (``utf-8``, ``utf-8-sig`` or ``gb18030``;
    empty otherwise); ``columns`` is the header (None for JSON, where each row has its keys);
    ``digest`` is the SHA-256 of the bytes read (of the canonical JSON of each row for
    bodies), complete once the rows have been read.
    """

    def __init__(self, rows: Iterator[Row], *, format: str, filename: str, encoding: str = "",
                 columns: list[str] | None = None, digest: Callable[[], str],
                 closer: Callable[[], None] | None = None) -> None:
        self._rows = rows
        self.format = format
        self.filename = filename
        self.encoding = encoding
        self.columns = columns
        self._digest = digest
        self._closer = closer

    @property
    def digest(self) -> str:
        return self._digest()

    @property
    def description(self) -> str:
        """E.g. ``CSV（GB18030）`` — for messages and the batch summary."""
        label = FORMAT_LABELS.get(self.format, self.format)
        return f"{label}（{self.encoding.upper().replace('-SIG', ' BOM')}）" if self.encoding else label

    def __iter__(self) -> Iterator[Row]:
        return self._rows

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
            self._closer = None

    def __enter__(self) -> RowSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Tap(io.RawIOBase):
    """A raw reader that first replays already-sniffed bytes, hashing everything it hands out."""

    def __init__(self, raw: IO[bytes], prefix: bytes) -> None:
        super().__init__()
        self._raw = raw
        self._prefix = prefix
        self.sha = hashlib.sha256(prefix)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._raw.read(len(view))
        n = len(data)
        view[:n] = data
        self.sha.update(data)
        return n


def _detect_encoding(head: bytes, *, complete: bool) -> str:
    """UTF-8 (``utf-8-sig`` with a BOM) if the first chunk decodes as UTF-8, else GB18030."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _bad("文件为 UTF-16 编码，请另存为 UTF-8 或 GB18030 编码的 CSV")
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _bad("无法识别文件编码：既不是 UTF-8 也不是 GB18030")


def _header(cells: list[str], where: str) -> list[str]:
    header = [c.strip().lstrip("\ufeff").strip() for c in cells]
    while header and not header[-1]:
        header.pop()  # trailing empty cells (a spreadsheet's formatted but unused columns)
    if not header:
        raise _bad(f"{where}没有表头")
    for i, name in enumerate(header, start=1):
        if not name:
            raise _bad(f"{where}表头第 {i} 列的列名为空")
    seen: set[str] = set()
    dupes = []
    for name in header:
        if name in seen and name not in dupes:
            dupes.append(name)
        seen.add(name)
    if dupes:
        raise _bad(f"{where}表头列名重复：{'、'.join(dupes)}")
    return header


def _blank(cells: Iterable[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _blank_strings(cells: list[str]) -> bool:
    # Fast for the usual row: any() stops at the first non-empty cell, in C.
    return not any(cells) or not "".join(cells).strip()


class _LineTooLong(Exception):
    """A CSV line longer than ``MAX_LINE_CHARS``."""


def _lines(text: IO[str]) -> Iterator[str | None]:
    """The lines of ``text`` (line ends kept), as iterating it would give them, except that a line
    longer than ``MAX_LINE_CHARS`` is read to its end in bounded pieces, not kept, and comes out
    as None: one line without a line break must not fill the worker's memory."""
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS and line[-1] not in "\r\n":
            while (rest := text.readline(MAX_LINE_CHARS)) and rest[-1] not in "\r\n":
                pass
            yield None
        else:
            yield line


def _too_long() -> str:
    return f"超过 {MAX_LINE_CHARS:,} 个字符（一行即一条数据，不应有这么长）"


def _mask_ids(text: str) -> str:
    """``text`` with what looks like a resident ID masked (``codes.masking.mask_ids_in_text``).

    For what the reader passes on outside the columns it knows: the validator encrypts a rejected
    row's personal columns, but not a value the reader could not place, nor the reason."""
    return mask_ids_in_text(text)


def _shown(text: str, limit: int) -> str:
    """``text`` for a reason: at most ``limit`` characters (then "…"), resident IDs masked (a reason
    is stored in clear, where a rejected row's personal values are encrypted)."""
    # Masked before it is cut, on a little more than is kept: no ID is cut to a run too short to mask.
    shown = _mask_ids(text[:limit + 20])
    return shown[:limit] + "…" if len(text) > limit else shown


def _quoted(values: Iterable[str], total: int = 240, each: int = 60) -> str:
    """``“a”、“b”`` for a reason, about ``total`` characters at most (then ``等 N 个``)."""
    values = list(values)
    parts: list[str] = []
    length = 0
    for value in values:
        if parts and length > total:
            return "、".join(parts) + f" 等 {len(values)} 个"
        part = f"“{_shown(value, each)}”"
        parts.append(part)
        length += len(part) + 1
    return "、".join(parts)


#: The CSV reader is given this as one more line after the file's last: outside quotes it is a
#: row of its own (the end), inside a quote left open it ends the value (the quote never closed).
_END_OF_FILE = "\ufdd0pubcredit:end-of-file\ufdd1"
_QUOTE_ADVICE = "请补上或删去该处的英文双引号（值中的双引号应写作两个：\"\"）后重新上传"


def _csv_rows(text: IO[str], filename: str, encoding: str) -> tuple[list[str], Iterator[Row]]:
    lines = _lines(text)
    first_line = next(lines, "")
    if first_line is None:
        raise _bad(f"CSV 文件的第一行（表头）{_too_long()}")
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        header_cells = next(csv.reader([first_line], delimiter=delimiter), [])
    except csv.Error as exc:
        raise _bad(f"CSV 表头格式错误：{exc}") from exc
    if _blank(header_cells):
        raise _bad("CSV 文件为空或第一行为空：第一行应为表头")
    header = _header(header_cells, "CSV 文件")
    width = len(header)

    def checked_lines() -> Iterator[str]:
        for line in lines:
            if line is None:
                raise _LineTooLong
            yield line
        yield _END_OF_FILE

    reader = csv.reader(checked_lines(), delimiter=delimiter)
    one_column = width == 1
    separator = "英文逗号" if delimiter == "," else "制表符"

    def spanning(cells: list[str], number: int, first: int, last: int) -> None:
        """A row read from more than one line (from file line ``first`` to ``last``): some quoted
        value holds line breaks. Legitimate (a multi-line remark), unless the quote was never
        closed (the value runs to the end of the file), or the value holds lines that look like
        whole rows (as many separators as the header has): a stray opening quote swallowed the
        rows after it, which would vanish without a trace and shift every later row number."""
        for i, cell in enumerate(cells):
            if "\n" not in cell and "\r" not in cell and not cell.endswith(_END_OF_FILE):
                continue
            where = f"第 {number} 条数据（文件第 {first} 行）{header[i] if i < width else f'第 {i + 1} 列'} 列"
            if cell.endswith(_END_OF_FILE):
                raise _bad(f"{where}的引号没有闭合：该值以英文双引号开头，其后直到文件末尾的内容都被当作这一个值读入；"
                           f"{_QUOTE_ADVICE}")
            if not one_column and any(line.count(delimiter) >= width - 1 for line in cell.splitlines()[1:]):
                raise _bad(f"{where}的引号没有闭合：该值以英文双引号开头，其后直到文件第 {last} 行的内容"
                           f"（其中有看似完整的数据行）都被当作这一个值读入；{_QUOTE_ADVICE}")
            if len(cell) > MAX_LINE_CHARS:  # only a value spanning lines can be longer than a line
                raise _bad(f"{where}的值超过 {MAX_LINE_CHARS:,} 个字符（一个值不应有这么长）")

    def rows() -> Iterator[Row]:
        number = read = 0  # data rows (blank ones too), lines the csv reader has taken
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                why = _decode_reason(exc, encoding)
                raise _bad(f"第 {number + 1} 条数据附近无法按 {encoding.upper()} 解码（{why}）") from exc
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise _bad(f"第 {number + 1} 条数据（文件第 {read + 2} 行）有一个值超过 "
                               f"{csv.field_size_limit():,} 个字符（多为某个值以英文双引号开头而引号没有闭合，"
                               "其后的内容都被读进了这个值）") from exc
                raise _bad(f"第 {number + 1} 条数据 CSV 格式错误：{exc}") from exc
            except _LineTooLong:
                raise _bad(f"第 {number + 1} 条数据附近有一行{_too_long()}") from None
            number += 1
            before, read = read, reader.line_num
            if read - before != 1:  # a value spans lines (or a quote left open took the end of file)
                spanning(cells, number, before + 2, read + 1)  # file line 1 is the header
            if len(cells) != width:
                if not cells or _blank_strings(cells):
                    continue
                if len(cells) > width:
                    # Too wide, even when the cells beyond the header are empty: an unquoted separator in
                    # a value shifts every later value one column right, and the row's last column —
                    # often an empty 备注 — falls off the end. Read as it stands, the row's values sit
                    # under the wrong fields (a reviewer's row got five wrong reasons, or none at all).
                    extra = cells[width:]
                    span = f"第 {width + 1} 列" if len(extra) == 1 else f"第 {width + 1}–{len(cells)} 列"
                    shown_extra = "为空" if _blank_strings(extra) else f"：{_quoted(extra)}"
                    # Kept as sent, but for resident IDs: after the shift the reader cannot tell
                    # which column holds one, and only the personal columns are stored encrypted.
                    kept = {name: _mask_ids(cell) for name, cell in zip(header, cells, strict=False)}
                    yield number, {**kept, ROW_PROBLEM: (
                        f"该行有 {len(cells)} 列，表头只有 {width} 列；多出的{span}{shown_extra}"
                        f"（多为某个值中含有{separator}却没有加英文双引号，或行尾多了分隔符）")}
                    continue
                elif cells == [_END_OF_FILE]:
                    return
                else:
                    cells += [""] * (width - len(cells))
            elif _blank_strings(cells):
                continue
            elif one_column and cells[0] == _END_OF_FILE:
                return
            yield number, dict(zip(header, cells, strict=False))

    return header, rows()


def _too_many_digits(line: str) -> str:
    """Why ``line`` (JSON that Python refused with "Exceeds the limit (4300 digits) for integer
    string conversion") cannot be read: ``BZ：数字有 5,000 位……``, naming the top-level key
    whose value holds the number when there is one. The line is read again with its integers
    kept as text, so the key is the one the parser found, not a guess."""
    limit = sys.get_int_max_str_digits()
    marker = object()
    digits = 0

    def number(text: str) -> object:
        nonlocal digits
        if len(text) - text.startswith("-") > limit:
            digits = digits or len(text) - text.startswith("-")
            return marker
        return 0

    def holds(value: object) -> bool:
        if isinstance(value, list):
            return any(holds(v) for v in value)
        if isinstance(value, dict):
            return any(holds(v) for v in value.values())
        return value is marker

    key = None
    try:
        item = json.loads(line, parse_int=number)
        if isinstance(item, dict):
            key = next((k for k, v in item.items() if holds(v)), None)
    except (ValueError, RecursionError):
        pass
    if not digits:
        return f"含有超过 {limit:,} 位的数字，无法读取"
    where = f"{_shown(key, 100)}：" if key is not None else ""
    return f"{where}数字有 {digits:,} 位，超过可读取的 {limit:,} 位（很长的编号请写成字符串）"


def _line_text(line: str) -> str:
    """A rejected line's text for its reason: the rejected-rows file has no other place for it. Not
    kept when it names information Art. 37 forbids collecting (a well-formed line with such a column
    refuses the whole file; a malformed one cannot be read that far, so any mention keeps it out)."""
    shown = _shown(line.strip(), 200)
    if prohibited_category({"name": line, "label": line}) is not None:
        return "；该行含有第三十七条禁止采集的信息（宗教信仰、生物识别、行踪、病史等）的字样，其内容未予保存"
    return f"；该行内容：{shown}"


#: json's messages (English) as a department's officer reads them.
_JSON_REASONS: Final = (
    ("Expecting property name enclosed in double quotes", "字段名应以英文双引号括起（或对象末尾多了逗号）"),
    ("Expecting ':' delimiter", "字段名之后应为英文冒号"),
    ("Expecting ',' delimiter", "两项之间应以英文逗号分隔"),
    ("Expecting value", "此处应为一个值（字符串须加英文双引号）"),
    ("Unterminated string", "字符串缺少结尾的英文双引号"),
    ("Invalid control character", "字符串中含有未转义的控制字符（如换行、制表符）"),
    ("Invalid \\uXXXX escape", "\\u 转义格式错误"),
    ("Invalid \\escape", "反斜杠转义格式错误"),
    ("Extra data", "一个 JSON 对象之后还有多余内容"),
)


def _twice(keys: Iterable[str]) -> str:
    """A JSON row that names a key more than once: which value was meant cannot be told."""
    return f"键 {'、'.join(str(k) for k in keys)[:200]} 在该条数据中出现了不止一次，无法确定哪一个值有效"


def _json_reason(exc: json.JSONDecodeError) -> str:
    """The reason of a JSON syntax error in Chinese, with its column on the line (the position of an
    error at the line's end is on the line, not the next one)."""
    reason = next((zh for en, zh in _JSON_REASONS if exc.msg.startswith(en)), "格式错误")
    return f"{reason}（第 {exc.pos + 1} 列）"


def _decode_reason(exc: UnicodeDecodeError, encoding: str) -> str:
    """Why bytes did not decode, in Chinese (Python says "invalid start byte" and the like)."""
    byte = exc.object[exc.start:exc.start + 1].hex().upper() if exc.object else ""
    return (f"含有 {encoding.upper()} 编码中不存在的字节{f' 0x{byte}' if byte else ''}："
            "请确认文件以 UTF-8 或 GB18030 编码保存")


def _jsonl_rows(text: IO[str]) -> Iterator[Row]:
    for number, line in enumerate(_lines(text), start=1):
        if line is None:
            if number == 1:
                raise _bad(f"不是有效的 JSON Lines 文件：第 1 行{_too_long()}")
            yield number, {ROW_PROBLEM: f"该行{_too_long()}"}
            continue
        if not line.strip():
            continue
        try:
            item = loads_json(line)
        except json.JSONDecodeError as exc:
            problem = f"不是有效的 JSON：{_json_reason(exc)}"
            at_first = f" {_json_reason(exc)}"
        except NotFiniteNumber:
            problem, at_first = f"不是有效的 JSON：{JSON_NOT_FINITE}", JSON_NOT_FINITE
        except RecursionError:  # brackets nested deeper than the parser goes
            problem, at_first = f"不是有效的 JSON：{JSON_TOO_DEEP}", JSON_TOO_DEEP
        except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
            problem = _too_many_digits(line)
            at_first = f" {problem}"
        else:
            problem = at_first = ""
        if problem:  # the first line decides whether this is JSON Lines at all; later ones are rows
            if number == 1:
                raise _bad(f"不是有效的 JSON Lines 文件：第 1 行{at_first}")
            yield number, {ROW_PROBLEM: problem + _line_text(line)}
            continue
        if not isinstance(item, dict):
            if number == 1:
                raise _bad("不是有效的 JSON Lines 文件：每行应为一个 JSON 对象")
            yield number, {ROW_PROBLEM: "该行应为一个 JSON 对象" + _line_text(line)}
            continue
        twice = item.pop(DUPLICATE_KEYS, None)
        if twice:
            yield number, {**item, ROW_PROBLEM: _twice(twice)}
            continue
        if "\\ud" in line or "\\uD" in line:  # a \ud800 escape without its pair is not text
            found = unencodable_in(item)
            if found is not None:
                yield number, {**item, ROW_PROBLEM: f"{found[0]}：{surrogate_reason(found[1])}"}
                continue
        yield number, item


def _cell(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # Excel keeps every number as a float: 12345.0 is the number 12345
    if isinstance(value, str):
        return value.strip()
    return value


# What a damaged workbook raises from the ZIP or XML layers (xml's ParseError is a SyntaxError;
# zipfile raises RuntimeError for an encrypted part and NotImplementedError, a RuntimeError, for a
# compression method it cannot unpack: ``_check_xlsx`` refuses both from the ZIP's directory first).
_XLSX_ERRORS = (zipfile.BadZipFile, KeyError, OSError, IndexError, ValueError, TypeError, SyntaxError, EOFError,
                AttributeError, RuntimeError)

#: The compression methods Python's zipfile unpacks (Excel itself writes only the first two).
_ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
                         | ({zipfile.ZIP_BZIP2} if getattr(zipfile, "bz2", None) else set())
                         | ({zipfile.ZIP_LZMA} if getattr(zipfile, "lzma", None) else set()))
_ZIP_ENCRYPTED = 0x01 | 0x40  # general purpose flags: encrypted, strongly encrypted
_ZIP_PATCHED = 0x20  # compressed patched data: zipfile cannot unpack it either


def _unpackable(part: zipfile.ZipInfo) -> str:
    """Why ``zipfile`` could not unpack ``part`` (empty if it can)."""
    if part.flag_bits & _ZIP_ENCRYPTED:
        return "已加密：请取消工作簿的密码保护，另存为 .xlsx 后上传"
    if part.compress_type not in _ZIP_METHODS or part.flag_bits & _ZIP_PATCHED:
        names: dict[int, str] = getattr(zipfile, "compressor_names", {})
        method = names.get(part.compress_type, f"方法 {part.compress_type}")
        return f"使用了无法解压的压缩方式（{method}）：请在 Excel 中另存为 .xlsx 后上传"
    return ""


def _check_xlsx(file: IO[bytes]) -> dict[str, int]:
    """Refuse a workbook whose parts would unpack beyond the limits, or whose sheets hold rows
    beyond them, before the Excel reader parses any of it (it parses every sheet on opening, and
    keeps the shared strings whole). Returns each XML part's widest column, by part name.

    The sizes are those the ZIP declares: Python's ``zipfile`` never unpacks more than that (and
    fails on a part whose content does not match it)."""
    try:
        with zipfile.ZipFile(file) as archive:
            parts = archive.infolist()
            for part in parts:  # every part, the ones the Excel reader opens and this scan does not too
                if why := _unpackable(part):
                    raise _bad(f"不是有效的 Excel 工作簿（.xlsx）：部件 {part.filename[:100]} {why}")
            if sum(p.file_size for p in parts) > XLSX_MAX_UNPACKED:
                raise _bad(f"Excel 工作簿解压后超过 {XLSX_MAX_UNPACKED // 1024**3} GB：请改用 CSV 上传")
            for part in parts:
                if part.file_size > 1024**2 and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1):
                    raise _bad(f"Excel 工作簿的部件 {part.filename[:100]} 压缩比异常（解压后 {part.file_size:,} "
                               f"字节，压缩后 {part.compress_size:,} 字节，超过 {XLSX_MAX_RATIO} 倍），"
                               "疑为恶意构造的文件，已拒收")
                if part.filename.lower().endswith("sharedstrings.xml") and part.file_size > XLSX_MAX_SHARED_STRINGS:
                    raise _bad(f"Excel 工作簿的共享字符串表解压后超过 {XLSX_MAX_SHARED_STRINGS // 1024**2} MB："
                               "请改用 CSV 上传")
            widths: dict[str, int] = {}
            for part in parts:  # every sheet: rows and cells appear in nothing else
                name = part.filename.lower()
                if name.endswith(".xml") and not name.endswith("sharedstrings.xml"):
                    with archive.open(part) as stream:
                        widths[part.filename] = _sheet_width(stream)
            return widths
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, zlib.error,
            RuntimeError) as exc:
        raise _bad(f"不是有效的 Excel 工作簿（.xlsx）：{exc.__class__.__name__}") from exc
    finally:
        file.seek(0)


# A worksheet's row start tags (their attributes captured), cell start tags, and the column
# letters of cells that name their place; any namespace prefix.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s/>])([^<>]*)>")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s/>])")
_CELL_COLUMN = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?c\s[^<>]*?\br\s*=\s*["']([A-Za-z]+)""")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["'](\d+)""")
_LONGEST_TAG = 64 * 1024


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _sheet_width(stream: IO[bytes]) -> int:
    """The widest column a worksheet's XML uses, read as bytes in pieces (nothing is built; the
    matching runs in the regular-expression engine, a Python step per row, not per cell);
    InvalidInput when a row has more than ``XLSX_MAX_COLUMNS`` cells or columns, or a row number
    is beyond Excel's ``XLSX_MAX_ROWS``. The Excel reader builds each row whole, and pads every
    row to the width the sheet declares: one forged row could hold millions of cells."""
    named = counted = cells = 0  # widest named column, most cells in a row, cells in this row
    unnamed = False  # some cell does not name its column: the reader places it after the one before
    tail = b""

    def too_wide() -> InvalidInput:
        return _bad(f"Excel 工作表有超过 {XLSX_MAX_COLUMNS} 列的行：请只保留目录规定的列后上传")

    while chunk := stream.read(_BUFFER):
        data = tail + chunk
        cut = data.rfind(b"<")
        body, tail = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
        if len(tail) > _LONGEST_TAG:
            raise _bad("Excel 工作表的内容格式异常（标签过长），已拒收")
        position = total = 0
        for row in _ROW_TAG.finditer(body):
            found = len(_CELL_TAG.findall(body, position, row.start()))
            cells, total = cells + found, total + found
            if cells > XLSX_MAX_COLUMNS:
                raise too_wide()
            counted = max(counted, cells)
            cells, position = 0, row.end()
            number = _ROW_NUMBER.search(row.group(1))
            if number is not None and (len(number.group(1)) > 7 or int(number.group(1)) > XLSX_MAX_ROWS):
                raise _bad(f"Excel 工作表的行号超过 Excel 的上限 {XLSX_MAX_ROWS:,} 行，已拒收")
        found = len(_CELL_TAG.findall(body, position))
        cells, total = cells + found, total + found
        if cells > XLSX_MAX_COLUMNS:
            raise too_wide()
        counted = max(counted, cells)
        columns = _CELL_COLUMN.findall(body)
        unnamed = unnamed or len(columns) < total
        for letters in set(columns):
            column = _column_number(letters) if len(letters) <= 3 else XLSX_MAX_COLUMNS + 1
            if column > XLSX_MAX_COLUMNS:
                raise too_wide()
            named = max(named, column)
    # Unnamed cells follow the cell before them: a row's last column is at most its widest named
    # column plus its cell count (a bound, not a count: the extra columns read come back empty).
    return named + counted if unnamed and named else max(named, counted)


def _sheet_size_before_cells(sheet: Any) -> None:
    """openpyxl's ``ReadOnlyWorksheet._get_size``, stopping where the cells begin.

    On opening a workbook, openpyxl looks for each sheet's ``<dimension>`` (the range the sheet
    says it uses) among the parser's *end* events. A sheet without one (openpyxl's own write-only
    mode writes none) has its ``<sheetData>`` as the next element to end, so the whole sheet was
    parsed once more just to learn that it has no dimension: 100,000 rows × 31 columns took 12.3 s
    to open against 3.8 s with a dimension. The schema puts ``<dimension>`` before ``<sheetData>``,
    so *start* events find it, or find it missing, before the first cell: the same sizes, none of
    the cells read.
    """
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    with sheet._get_source() as src:
        for _event, element in iterparse(src, events=("start",)):
            if element.tag == DIMENSION_TAG:
                dimension = SheetDimension.from_tree(element)
                if dimension is not None:
                    sheet._min_column, sheet._min_row, sheet._max_column, sheet._max_row = dimension.boundaries
                return
            if element.tag == DATA_TAG:
                return


def _openpyxl_reads_sizes_before_cells() -> None:
    """Give openpyxl's read-only sheets ``_sheet_size_before_cells`` (once; a no-op if a later
    openpyxl names the method differently: the workbook is then only slower to open)."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    if hasattr(ReadOnlyWorksheet, "_get_size") and ReadOnlyWorksheet._get_size is not _sheet_size_before_cells:
        ReadOnlyWorksheet._get_size = _sheet_size_before_cells


#: Why a cell holding a formula but no saved result is refused (openpyxl, and some other tools,
#: write formulas without computing them; read as values, such a cell is empty).
UNCALCULATED_FORMULA = "该单元格是公式，但文件中没有保存计算结果，请在 Excel 中重新计算并保存，或填入数值"
_SheetRow = tuple[int, list[object], list[tuple[int, str]]]


@functools.cache
def _formula_noting_parser() -> type:
    """openpyxl's worksheet parser, also noting each row's cells that hold a formula but no saved
    result (``parser.uncalculated``: column number and formula text).

    The workbook is read as values (``data_only``), where such a cell is just empty: a value the
    department typed as a formula would vanish, or a required field be said to be missing. The
    parser already holds each row's XML elements; a row is searched for a formula element (in C),
    and only a row that has one is looked at cell by cell. A formula's result is saved in ``<v>``;
    an empty ``<v>`` is a saved empty text only for a text result (``t="str"``)."""
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class FormulaNotingParser(WorkSheetParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.uncalculated: list[tuple[int, str]] = []

        def parse_row(self, row: Any) -> tuple[int, list[dict[str, Any]]]:
            number, cells = super().parse_row(row)
            if next(row.iter(FORMULA_TAG), None) is not None:
                for element, cell in zip(row, cells, strict=False):
                    if cell["value"] is None and (formula := element.find(FORMULA_TAG)) is not None and (
                            element.get("t") != "str" or element.find(VALUE_TAG) is None):
                        self.uncalculated.append((cell["column"], formula.text or ""))
            return number, cells

    return FormulaNotingParser


def _sheet_rows(sheet: Any, width: int | None) -> Iterator[_SheetRow]:
    """The rows of a read-only openpyxl ``sheet``: ``(sheet row number, values of columns 1 to
    ``width``, uncalculated formulas (column, text))``. Rows missing from the sheet's XML are not
    produced (the caller counts by the sheet's row numbers).

    What openpyxl's ``iter_rows(values_only=True)`` does, with ``_formula_noting_parser``, and
    with the sheet's own row numbers, so that a cell can be named (``B4``) wherever the header is.
    Unlike it, a row numbered at or before the one before it refuses the sheet (openpyxl dropped
    it without a word), and rows beyond the sheet's declared ``<dimension>`` are read too."""
    workbook = sheet.parent
    with sheet._get_source() as src:
        parser = _formula_noting_parser()(
            src, sheet._shared_strings, data_only=True, epoch=workbook.epoch, date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats)
        noted: list[tuple[int, str]] = parser.uncalculated
        last = 0
        for number, cells in parser.parse():
            if number <= last:
                raise _bad(f"Excel 工作表的第 {number} 行出现在第 {last} 行之后（行号重复或顺序颠倒），工作表已损坏")
            last = number
            size = width or max((c["column"] for c in cells), default=0)
            values: list[object] = [None] * size
            for cell in cells:
                column = cell["column"]
                if column <= size:
                    values[column - 1] = cell["value"]
            if noted:
                yield number, values, noted[:]
                noted.clear()
            else:
                yield number, values, []


def _xlsx_source(file: IO[bytes], filename: str, digest: str, closer: Callable[[], None]) -> RowSource:
    try:
        from openpyxl import load_workbook
        from openpyxl.utils import get_column_letter
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise _bad("服务器未安装 Excel 读取组件（openpyxl），请改用 CSV") from exc
    _openpyxl_reads_sizes_before_cells()
    try:
        widths = _check_xlsx(file)
    except InvalidInput:
        closer()
        raise
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # The widest column actually used, not what the sheet declares (a forged dimension would
        # pad every row to it); openpyxl names the sheet's part without the leading slash.
        width = widths.get(str(getattr(sheet, "_worksheet_path", "")).lstrip("/"))
        values = _sheet_rows(sheet, width or None)
        header_cells: list[object] = []
        header_row = 0
        for header_row, cells, formulas in values:
            if formulas:
                column = formulas[0][0]
                raise _bad(f"Excel 工作表表头第 {column} 列（单元格 {get_column_letter(column)}{header_row}）是公式，"
                           "但文件中没有保存计算结果：请在 Excel 中重新计算并保存，或直接填入列名")
            if not _blank(cells):
                header_cells = cells
                break
    except InvalidInput:
        workbook.close()
        closer()
        raise
    except (InvalidFileException, *_XLSX_ERRORS) as exc:
        closer()
        raise _bad(f"不是有效的 Excel 工作簿（.xlsx）：{exc.__class__.__name__}") from exc
    if not header_cells:
        workbook.close()
        closer()
        raise _bad("Excel 工作簿的第一个工作表为空：第一行应为表头")
    header = _header(["" if c is None else str(c) for c in header_cells], "Excel 工作表")
    columns = len(header)

    def rows() -> Iterator[Row]:
        at = header_row  # the sheet row last read
        while True:
            try:
                at, cells, formulas = next(values)
            except StopIteration:
                return
            except _XLSX_ERRORS as exc:  # a part that is damaged further in than the header
                raise _bad(f"Excel 工作表第 {at + 1} 行附近无法读取：{exc.__class__.__name__}") from exc
            if _blank(cells) and not formulas:
                continue
            row = {name: _cell(cells[i]) if i < len(cells) else None for i, name in enumerate(header)}
            problems: list[str] = []
            if formulas:
                problems.extend(f"{header[column - 1]}（单元格 {get_column_letter(column)}{at}）："
                                f"{UNCALCULATED_FORMULA}" + (f"（公式：={_shown(text, 80)}）" if text else "")
                                for column, text in formulas if column <= columns)
            if len(cells) > columns and not _blank(cells[columns:]):
                extra = [f"{get_column_letter(i + 1)}{at}：“{_shown(str(c), 60)}”"
                         for i, c in enumerate(cells) if i >= columns and not _blank((c,))]
                shown = "、".join(extra[:5]) + (f" 等 {len(extra)} 个单元格" if len(extra) > 5 else "")
                problems.append(f"该行第 {columns + 1} 列以后有内容，但表头只有 {columns} 列（{shown}）")
            bad = next((i for i, c in enumerate(cells) if type(c) is float and not math.isfinite(c)), None)
            if bad is not None:  # Excel has no such number; a hand-made sheet can hold "NaN" or "inf"
                problems.append(f"第 {bad + 1} 列的数值无效（NaN 或无穷大）")
            if problems:
                row[ROW_PROBLEM] = "；".join(problems)
            yield at - header_row, row

    def close() -> None:
        workbook.close()
        closer()

    return RowSource(rows(), format="xlsx", filename=filename, columns=header, digest=lambda: digest, closer=close)


def _kind_of(filename: str, head: bytes) -> str:
    ext = os.path.splitext(filename.lower())[1]
    if head.startswith(_ZIP_MAGIC):
        if ext and ext not in _XLSX_EXT:
            raise _bad(f"文件 {filename} 是 ZIP 压缩包或 Excel 工作簿，但扩展名为 {ext}；"
                       "请上传 .xlsx、CSV 或 JSON Lines")
        return "xlsx"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and ext not in _XLSX_EXT:
        raise _bad("文件为 UTF-16 编码，请另存为 UTF-8 或 GB18030 编码的 CSV")
    if head.startswith(_OLE_MAGIC) and ext in _XLSX_EXT:
        # Excel saves a workbook with an opening password as an OLE document, not as a ZIP.
        raise _bad(f"文件 {filename} 设有打开密码（已加密），或是改了扩展名的旧版 Excel（.xls）文件：请取消密码保护，"
                   "另存为 .xlsx 或 CSV 后上传")
    if head.startswith(_OLE_MAGIC) or ext == ".xls":
        raise _bad("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后上传")
    if ext in _XLSX_EXT:
        raise _bad(f"文件 {filename} 的扩展名为 {ext}，但内容不是 Excel 工作簿")
    if b"\x00" in head:
        raise _bad("文件不是文本文件（含有二进制内容）：请上传 CSV、JSON Lines 或 .xlsx")
    if ext in _JSONL_EXT:
        return "jsonl"
    if ext in _CSV_EXT:
        return "csv"
    if ext:
        raise _bad(f"不支持扩展名为 {ext} 的文件：请上传 CSV、JSON Lines（.jsonl）或 Excel（.xlsx）")
    return "jsonl" if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"{") else "csv"


def open_rows(source: str | os.PathLike[str] | BinaryIO | IO[bytes], *, filename: str = "") -> RowSource:
    """Open a submitted file as a stream of ``(data row number, {column: value})``.

    ``source`` is a path or a binary file object (an upload); ``filename`` (default: the
    path's name) chooses the format by its extension, else the content is sniffed (a ZIP is
    XLSX, a first ``{`` is JSON lines, anything else CSV). Raises InvalidInput with one line
    when the file cannot be read as a whole. Close the source (or use ``with``) when done.
    """
    owned: IO[bytes] | None = None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        filename = filename or path.name
        try:
            owned = path.open("rb")
        except OSError as exc:
            raise _bad(f"无法打开文件 {path}：{exc.strerror}") from exc
        raw: IO[bytes] = owned
    else:
        raw = source
        filename = filename or str(getattr(source, "name", "") or "")
    try:
        head = raw.read(SNIFF_BYTES)
        kind = _kind_of(filename, head)
    except BaseException:
        if owned is not None:
            owned.close()
        raise

    def close_owned() -> None:
        if owned is not None:
            owned.close()

    if kind == "xlsx":
        sha = hashlib.sha256(head)
        spool: IO[bytes]
        if isinstance(source, str | os.PathLike):
            for block in iter(lambda: raw.read(_BUFFER), b""):
                sha.update(block)
            raw.seek(0)
            spool = raw
        else:
            # An upload may not be seekable: keep a private copy (on disk beyond 16 MB).
            import tempfile

            spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - closed by the source
            spool.write(head)
            for block in iter(lambda: raw.read(_BUFFER), b""):
                sha.update(block)
                spool.write(block)
            spool.seek(0)
        def close_xlsx() -> None:
            if spool is not raw:
                spool.close()
            close_owned()

        return _xlsx_source(spool, filename, sha.hexdigest(), close_xlsx)

    complete = len(head) < SNIFF_BYTES
    while not complete and head.isascii() and len(head) < SNIFF_MAX:
        more = raw.read(SNIFF_BYTES)
        complete = len(more) < SNIFF_BYTES
        head += more
    if kind == "jsonl":
        try:
            head.decode("utf-8") if complete else codecs.getincrementaldecoder("utf-8")().decode(head)
        except UnicodeDecodeError as exc:
            close_owned()
            raise _bad("JSON Lines 文件应为 UTF-8 编码") from exc
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    else:
        try:
            encoding = _detect_encoding(head, complete=complete)
        except InvalidInput:
            close_owned()
            raise
    tap = _Tap(raw, head)
    text = io.TextIOWrapper(io.BufferedReader(tap, buffer_size=_BUFFER), encoding=encoding, newline="")

    def text_digest() -> str:
        return tap.sha.hexdigest()

    if kind == "jsonl":
        return RowSource(_guard_jsonl(text, encoding), format="jsonl", filename=filename, encoding=encoding,
                         columns=None, digest=text_digest, closer=close_owned)
    try:
        header, rows = _csv_rows(text, filename, encoding)
    except UnicodeDecodeError as exc:
        close_owned()
        raise _bad(f"表头无法按 {encoding.upper()} 解码") from exc
    except InvalidInput:
        close_owned()
        raise
    return RowSource(rows, format="csv", filename=filename, encoding=encoding, columns=header, digest=text_digest,
                     closer=close_owned)


def _guard_jsonl(text: IO[str], encoding: str) -> Iterator[Row]:
    rows = _jsonl_rows(text)
    number = 0
    while True:
        try:
            number, row = next(rows)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise _bad(f"第 {number + 1} 行附近无法按 UTF-8 解码") from exc
        yield number, row


def rows_from_dicts(items: Iterable[Mapping[str, Any]]) -> RowSource:
    """Rows given as JSON objects in a request body; item N (from 1) is data row N.

    The digest is the SHA-256 of each row's canonical JSON, one per line, so the same rows
    sent twice have the same digest. A non-object item becomes a rejected row.
    """
    sha = hashlib.sha256()

    def rows() -> Iterator[Row]:
        for number, item in enumerate(items, start=1):
            if not isinstance(item, Mapping):
                sha.update(b"null\n")
                yield number, {ROW_PROBLEM: "该条数据应为一个 JSON 对象"}
                continue
            row = dict(item)
            twice = row.pop(DUPLICATE_KEYS, None)
            if twice:
                sha.update(canonical_json(row).encode("utf-8", "surrogatepass") + b"\n")
                yield number, {**row, ROW_PROBLEM: _twice(twice)}
                continue
            try:
                line = canonical_json(row).encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate (a "\\ud800" escape without its pair)
                sha.update(canonical_json(row).encode("utf-8", "surrogatepass") + b"\n")
                found = unencodable_in(row)
                where, codepoint = found if found is not None else ("", "?")
                yield number, {**row, ROW_PROBLEM: f"{where}：{surrogate_reason(codepoint)}"}
                continue
            sha.update(line + b"\n")
            yield number, row

    return RowSource(rows(), format="json", filename="", columns=None, digest=sha.hexdigest)
