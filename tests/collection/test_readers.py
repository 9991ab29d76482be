"""Row sources: formats, encodings, row numbering, malformed files (issue #3 item 2)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from pubcredit.collection.readers import ROW_PROBLEM, open_rows, rows_from_dicts
from pubcredit.errors import InvalidInput

HEADER = "CF_WSH,CF_XDR_MC\n"


def read(path: Path) -> list[tuple[int, dict[str, object]]]:
    with open_rows(path) as source:
        return list(source)


def test_utf8_csv_rows_are_numbered_from_the_first_data_row(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "杭罚1,甲公司\n\n杭罚2,乙公司\n", encoding="utf-8")
    with open_rows(path) as source:
        assert source.format == "csv"
        assert source.encoding == "utf-8"
        assert source.columns == ["CF_WSH", "CF_XDR_MC"]
        rows = list(source)
        assert source.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    # the blank line is skipped but counted: the number is what the department sees
    assert rows == [(1, {"CF_WSH": "杭罚1", "CF_XDR_MC": "甲公司"}), (3, {"CF_WSH": "杭罚2", "CF_XDR_MC": "乙公司"})]


def test_bom_and_gb18030_are_detected(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + "杭罚1,甲公司\n").encode("utf-8"))
    gb = tmp_path / "gb.csv"
    gb.write_bytes((HEADER + "杭罚1,甲公司\n").encode("gb18030"))
    for path, encoding in ((bom, "utf-8-sig"), (gb, "gb18030")):
        with open_rows(path) as source:
            assert source.encoding == encoding
            assert list(source) == [(1, {"CF_WSH": "杭罚1", "CF_XDR_MC": "甲公司"})]
            assert source.description.startswith("CSV（")


def test_gb18030_detected_after_the_first_chunk_still_streams(tmp_path: Path) -> None:
    # Many ASCII rows first, Chinese later: the sniffed chunk decides, the rest must follow it.
    path = tmp_path / "late.csv"
    body = HEADER + "".join(f"N{i},company\n" for i in range(10000)) + "杭罚,甲公司\n"
    path.write_bytes(body.encode("gb18030"))
    rows = read(path)
    assert rows[-1] == (10001, {"CF_WSH": "杭罚", "CF_XDR_MC": "甲公司"})


def test_a_late_undecodable_byte_is_a_file_error_naming_the_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes((HEADER + "".join(f"N{i},x\n" for i in range(20000))).encode() + b"\xff\xfe,x\n")
    with pytest.raises(InvalidInput, match="UTF-8"):
        read(path)


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"CF_WSH": "杭罚1", "CF_NR_FK": 2}\n\n{"CF_WSH": "杭罚2"}\n[1]\n{oops\n', encoding="utf-8")
    with open_rows(path) as source:
        assert source.format == "jsonl"
        assert source.columns is None
        rows = list(source)
    assert rows[0] == (1, {"CF_WSH": "杭罚1", "CF_NR_FK": 2})
    assert rows[1] == (3, {"CF_WSH": "杭罚2"})
    assert rows[2][0] == 4
    assert ROW_PROBLEM in rows[2][1]
    assert rows[3][0] == 5
    assert "JSON" in rows[3][1][ROW_PROBLEM]


def test_xlsx_first_sheet_header_row_and_cell_types(tmp_path: Path) -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["CF_WSH", "CF_NR_FK", "CF_JDRQ", None])
    sheet.append(["杭罚1", 2.0, datetime(2025, 3, 3), None])  # noqa: DTZ001 - an Excel cell has no zone
    sheet.append([None, None, None])
    sheet.append([12345, 0.25, "2025-03-04"])
    book.create_sheet("ignored").append(["x"])
    path = tmp_path / "rows.xlsx"
    book.save(path)
    with open_rows(path) as source:
        assert source.format == "xlsx"
        assert source.columns == ["CF_WSH", "CF_NR_FK", "CF_JDRQ"]
        rows = list(source)
        assert source.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert rows[0] == (1, {"CF_WSH": "杭罚1", "CF_NR_FK": 2, "CF_JDRQ": datetime(2025, 3, 3)})  # noqa: DTZ001
    assert rows[1] == (3, {"CF_WSH": 12345, "CF_NR_FK": 0.25, "CF_JDRQ": "2025-03-04"})


def test_an_upload_stream_without_a_path(tmp_path: Path) -> None:
    stream = io.BytesIO((HEADER + "杭罚1,甲公司\n").encode("gb18030"))
    with open_rows(stream, filename="upload.csv") as source:
        assert list(source) == [(1, {"CF_WSH": "杭罚1", "CF_XDR_MC": "甲公司"})]
        assert source.encoding == "gb18030"


def test_a_row_with_more_cells_than_the_header_is_a_row_problem(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + "a,b,c\nd\n", encoding="utf-8")
    rows = read(path)
    assert "3 列" in rows[0][1][ROW_PROBLEM]
    assert rows[1] == (2, {"CF_WSH": "d", "CF_XDR_MC": ""})  # short rows are padded


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "表头"),
    ("dup.csv", b"CF_WSH,CF_WSH\n1,2\n", "重复：CF_WSH"),
    ("hole.csv", b"CF_WSH,,CF_SY\n1,2,3\n", "第 2 列的列名为空"),
    ("bin.csv", b"CF_WSH\x00\x01\x02", "二进制"),
    ("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, ".xls"),
    ("locked.xlsx", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "设有打开密码"),  # Excel's encrypted workbook is OLE
    ("u16.csv", "CF_WSH\n1\n".encode("utf-16"), "UTF-16"),
    ("zip.csv", b"PK\x03\x04" + b"\x00" * 100, "扩展名为 .csv"),
    ("fake.xlsx", b"CF_WSH\n1\n", "不是 Excel"),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 100, "不是有效的 Excel"),
    ("data.pdf", b"%PDF-1.4", "不支持扩展名为 .pdf"),
    ("bad.jsonl", b"CF_WSH,CF_SY\n", "JSON Lines"),
    ("list.jsonl", b"[1, 2]\n", "JSON 对象"),
    ("gbk.jsonl", "{\"a\": \"甲\"}\n".encode("gb18030"), "UTF-8"),
])
def test_malformed_files_are_refused_with_one_line(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as info:
        read(path)
    assert "\n" not in info.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="无法打开"):
        open_rows(tmp_path / "nope.csv")


def test_rows_from_dicts_digest_is_stable_and_non_objects_are_row_problems() -> None:
    items = [{"CF_WSH": "1", "b": 2}, "x", {"b": 2, "CF_WSH": "1"}]
    source = rows_from_dicts(items)
    rows = list(source)
    assert rows[1][1] == {ROW_PROBLEM: "该条数据应为一个 JSON 对象"}
    again = rows_from_dicts(json.loads(json.dumps(items)))
    list(again)
    assert source.digest == again.digest
