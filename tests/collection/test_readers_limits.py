"""Files built to exhaust a worker (issue #3: "departments send messy files"; the standard: no 500,
nothing lost): lines without end, and Excel workbooks that unpack a thousandfold, rows of millions
of cells, forged sheet dimensions, row numbers beyond Excel's, damaged XML. Each is refused with
one line naming the problem, before it costs memory."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from pubcredit.collection import readers
from pubcredit.collection.readers import ROW_PROBLEM, open_rows
from pubcredit.errors import InvalidInput

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
        'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '</Relationships>'),
}


def hand_built_workbook(path: Path, *, rows: str, strings: str = "<si><t>CF_WSH</t></si><si><t>CF_XDR_MC</t></si>",
              dimension: str = "") -> Path:
    """A workbook written part by part, so that it can be anything a hostile sender could make."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS}>{strings}</sst>')
        archive.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}>'
                                                     f"{dimension}<sheetData>{rows}</sheetData></worksheet>")
    return path


HEADER_ROW = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'


def _row(number: int, *values: str) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def read(path: Path) -> list[tuple[int, dict[str, object]]]:
    with open_rows(path) as source:
        return list(source)


# --- text files: a line without end ----------------------------------------------------------

def test_a_csv_header_longer_than_the_limit_refuses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE_CHARS", 100)
    path = tmp_path / "long.csv"
    path.write_text("CF_WSH," + "X" * 500 + "\n杭罚1,甲\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="第一行（表头）超过") as caught:
        read(path)
    assert caught.value.field == "file"


def test_a_line_just_within_the_limit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE_CHARS", 100)
    path = tmp_path / "edge.csv"
    value = "乙" * (100 - len("杭罚2,") - 1)  # with its line break: exactly 100 characters
    path.write_text(f"CF_WSH,CF_XDR_MC\n杭罚2,{value}\n", encoding="utf-8")
    assert read(path) == [(1, {"CF_WSH": "杭罚2", "CF_XDR_MC": value})]


def test_a_json_line_longer_than_the_limit_is_one_rejected_row_and_reading_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE_CHARS", 100)
    path = tmp_path / "rows.jsonl"
    path.write_text('{"CF_WSH": "杭罚1"}\n{"CF_WSH": "' + "长" * 500 + '"}\n{"CF_WSH": "杭罚3"}\n', encoding="utf-8")
    rows = read(path)
    assert rows[0] == (1, {"CF_WSH": "杭罚1"})
    assert rows[1][0] == 2
    assert "超过 100 个字符" in str(rows[1][1][ROW_PROBLEM])
    assert rows[2] == (3, {"CF_WSH": "杭罚3"})


@pytest.mark.parametrize(("name", "text", "told"), [
    ("long.csv", "CF_WSH,CF_XDR_MC\n杭罚1,甲\n杭罚2," + "乙" * 300 + "\n杭罚3,丙\n", "第 2 条数据附近有一行超过"),
    ("rows.jsonl", '{"CF_WSH": "' + "长" * 500 + '"}\n', "第 1 行超过"),
])
def test_a_line_longer_than_the_limit_refuses_the_file_naming_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   name: str, text: str, told: str) -> None:
    """A CSV line anywhere; a JSON line only when it is the first (later ones are rejected rows)."""
    monkeypatch.setattr(readers, "MAX_LINE_CHARS", 100)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=told):
        read(path)


def test_a_line_without_end_is_read_in_bounded_pieces(tmp_path: Path) -> None:
    path = tmp_path / "endless.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("CF_WSH,CF_XDR_MC\n杭罚1,")
        for _ in range(24):
            out.write("A" * 1024 * 1024)  # 24 MB on one line
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInput, match="超过 1,048,576 个字符"):
            read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 * 1024 * 1024  # a few pieces of at most 1 MiB characters, never the whole line


# --- Excel workbooks ---------------------------------------------------------------------------

def test_a_well_formed_hand_built_workbook_is_read(tmp_path: Path) -> None:
    path = hand_built_workbook(tmp_path / "ok.xlsx", rows=HEADER_ROW + _row(2, "杭罚1", "甲公司"))
    assert read(path) == [(1, {"CF_WSH": "杭罚1", "CF_XDR_MC": "甲公司"})]


def test_a_part_that_unpacks_a_thousandfold_is_refused_before_parsing(tmp_path: Path) -> None:
    path = hand_built_workbook(tmp_path / "bomb.xlsx", rows=HEADER_ROW,
                     strings="<si><t>CF_WSH</t></si><si><t>" + "A" * (20 * 1024 * 1024) + "</t></si>")
    assert path.stat().st_size < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInput, match=r"xl/sharedStrings\.xml 压缩比异常") as caught:
            read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.field == "file"
    assert peak < 5 * 1024 * 1024  # nothing was unpacked


def test_shared_strings_beyond_the_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "XLSX_MAX_SHARED_STRINGS", 1000)
    strings = "".join(f"<si><t>{i}号</t></si>" for i in range(200))
    path = hand_built_workbook(tmp_path / "strings.xlsx", rows=HEADER_ROW, strings=strings)
    with pytest.raises(InvalidInput, match="共享字符串表解压后超过"):
        read(path)


def test_a_workbook_unpacking_beyond_the_total_limit_is_refused(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "XLSX_MAX_UNPACKED", 2000)
    rows = HEADER_ROW + "".join(_row(n, f"杭罚{n}", "甲") for n in range(2, 60))
    path = hand_built_workbook(tmp_path / "big.xlsx", rows=rows)
    with pytest.raises(InvalidInput, match="解压后超过"):
        read(path)


def test_a_row_wider_than_the_column_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "XLSX_MAX_COLUMNS", 10)
    ok = hand_built_workbook(tmp_path / "ten.xlsx", rows=HEADER_ROW + _row(2, *[f"v{i}" for i in range(10)]))
    rows = read(ok)
    assert rows[0][0] == 1
    assert ROW_PROBLEM in rows[0][1]  # wider than the header: that row is rejected, no more
    wide = hand_built_workbook(tmp_path / "eleven.xlsx", rows=HEADER_ROW + _row(2, *[f"v{i}" for i in range(11)]))
    with pytest.raises(InvalidInput, match="超过 10 列的行"):
        read(wide)
    far = hand_built_workbook(tmp_path / "far.xlsx", rows=HEADER_ROW + '<row r="2"><c r="XFD2"><v>1</v></c></row>')
    with pytest.raises(InvalidInput, match="超过 10 列的行"):
        read(far)  # one cell, but in column 16384: the reader would pad the row to it


def test_a_forged_sheet_dimension_does_not_widen_the_rows(tmp_path: Path) -> None:
    path = hand_built_workbook(tmp_path / "forged.xlsx", dimension='<dimension ref="A1:XFD3"/>',
                     rows=HEADER_ROW + _row(2, "杭罚1", "甲公司") + _row(3, "杭罚2", "乙公司"))
    assert read(path) == [(1, {"CF_WSH": "杭罚1", "CF_XDR_MC": "甲公司"}),
                          (2, {"CF_WSH": "杭罚2", "CF_XDR_MC": "乙公司"})]


@pytest.mark.parametrize("number", ["1048577", "99999999999999999999999999"])
def test_a_row_number_beyond_excel_s_is_refused(tmp_path: Path, number: str) -> None:
    far = f'<row r="{number}"><c t="inlineStr"><is><t>x</t></is></c></row>'
    path = hand_built_workbook(tmp_path / "rows.xlsx", rows=HEADER_ROW + far)
    with pytest.raises(InvalidInput, match="行号超过 Excel 的上限"):
        read(path)


def test_a_sheet_damaged_after_its_header_is_refused_naming_where(tmp_path: Path) -> None:
    good = "".join(_row(n, f"杭罚{n}", "甲公司") for n in range(2, 3002))
    path = hand_built_workbook(tmp_path / "damaged.xlsx", rows=HEADER_ROW + good + "<row r='3002'><c><v>",
                     dimension='<dimension ref="A1:B3002"/>')  # as Excel writes it: the reader stops there
    with open_rows(path) as source, pytest.raises(InvalidInput, match=r"第 \d+ 行附近无法读取：ParseError"):
        list(source)  # the header was read; the damage is met while reading the rows


def test_a_namespace_prefixed_sheet_is_measured_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "XLSX_MAX_COLUMNS", 3)
    prefixed = HEADER_ROW.replace("<row", "<x:row").replace("</row>", "</x:row>").replace("<c ", "<x:c ")
    prefixed = prefixed.replace("</c>", "</x:c>").replace("<v>", "<x:v>").replace("</v>", "</x:v>")
    wide = "<x:row r=\"2\">" + "".join(f'<x:c r="{chr(65 + i)}2"><x:v>{i}</x:v></x:c>' for i in range(4)) + "</x:row>"
    path = tmp_path / "prefixed.xlsx"
    hand_built_workbook(path, rows="")
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><x:sheetData>{prefixed}{wide}</x:sheetData></x:worksheet>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(InvalidInput, match="超过 3 列的行"):
        read(path)


def test_a_sheet_without_dimension_is_not_parsed_whole_on_opening(tmp_path: Path) -> None:
    """openpyxl parsed a sheet without <dimension> to its end just to find it missing: damage
    anywhere failed the opening. Now opening stops where the cells begin, so the damage is met,
    and named, while the rows are read."""
    damaged = HEADER_ROW + _row(2, "杭罚1", "甲公司") + "<row r='3'><c><v>"
    path = hand_built_workbook(tmp_path / "damaged.xlsx", rows=damaged)
    with open_rows(path) as source:
        assert next(iter(source)) == (1, {"CF_WSH": "杭罚1", "CF_XDR_MC": "甲公司"})
        with pytest.raises(InvalidInput, match=r"第 \d+ 行附近无法读取：ParseError"):
            list(source)


def test_a_sheet_without_dimension_reads_as_one_with_it(tmp_path: Path) -> None:
    rows = HEADER_ROW + "".join(_row(n, f"杭罚{n}", "甲公司") for n in range(2, 40))
    without = read(hand_built_workbook(tmp_path / "without.xlsx", rows=rows))
    assert len(without) == 38
    assert without == read(hand_built_workbook(tmp_path / "with.xlsx", rows=rows,
                                               dimension='<dimension ref="A1:B39"/>'))


def test_every_sheet_is_measured_as_the_reader_opens_every_sheet(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "XLSX_MAX_COLUMNS", 5)
    path = hand_built_workbook(tmp_path / "two.xlsx", rows=HEADER_ROW + _row(2, "杭罚1", "甲公司"))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/worksheets/sheet2.xml", f'<worksheet {_NS}><sheetData>{_row(1, *"abcdef")}'
                                                     "</sheetData></worksheet>")
    with pytest.raises(InvalidInput, match="超过 5 列的行"):
        read(path)


def test_cells_that_do_not_name_their_column_still_widen_the_rows_read(tmp_path: Path) -> None:
    """Excel may omit a cell's ``r``; the width passed to the reader must still cover the widest
    row, or content beyond the header would be cut off instead of rejected."""
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in ("杭罚1", "甲", "多余"))
    unnamed = f'<row r="2">{cells}</row>'
    path = hand_built_workbook(tmp_path / "unnamed.xlsx", rows=HEADER_ROW + unnamed + _row(3, "杭罚2", "乙"))
    rows = read(path)
    assert rows[0][0] == 1
    assert "表头只有 2 列" in str(rows[0][1][ROW_PROBLEM])
    assert rows[1] == (2, {"CF_WSH": "杭罚2", "CF_XDR_MC": "乙"})


def test_an_unnamed_cell_after_a_named_one_is_not_cut_off(tmp_path: Path) -> None:
    mixed = '<row r="2"><c r="B2" t="inlineStr"><is><t>甲</t></is></c><c t="inlineStr"><is><t>多余</t></is></c></row>'
    path = hand_built_workbook(tmp_path / "mixed.xlsx", rows=HEADER_ROW + mixed)
    rows = read(path)
    assert rows[0][0] == 1
    assert "表头只有 2 列" in str(rows[0][1][ROW_PROBLEM])  # 多余 is in column C, not lost


# --- JSON nested deeper than the parser goes (RecursionError, not a decoding error) -----------

DEEP = '{"CF_WSH": ' + "[" * 100_000 + "]" * 100_000 + "}"


def test_a_json_line_nested_too_deeply_is_one_rejected_row(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text('{"CF_WSH": "杭罚1"}\n' + DEEP + '\n{"CF_WSH": "杭罚3"}\n', encoding="utf-8")
    rows = read(path)
    assert [n for n, _ in rows] == [1, 2, 3]
    assert "嵌套层数过多" in str(rows[1][1][ROW_PROBLEM])


def test_a_first_json_line_nested_too_deeply_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(DEEP + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="第 1 行JSON 嵌套层数过多"):
        read(path)


# --- NaN and infinity: Python's JSON parser takes them, PostgreSQL's jsonb does not ----------

@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_json_line_with_nan_or_infinity_is_one_rejected_row(tmp_path: Path, literal: str) -> None:
    path = tmp_path / "nan.jsonl"
    path.write_text('{"CF_WSH": "杭罚1"}\n{"CF_WSH": "杭罚2", "CF_NR_FK": ' + literal + "}\n", encoding="utf-8")
    rows = read(path)
    assert rows[0] == (1, {"CF_WSH": "杭罚1"})
    assert "NaN 或无穷大" in str(rows[1][1][ROW_PROBLEM])
    first = tmp_path / "first.jsonl"
    first.write_text('{"CF_NR_FK": ' + literal + "}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="第 1 行含有 NaN 或无穷大"):
        read(first)


def test_an_excel_cell_holding_an_infinite_number_is_one_rejected_row(tmp_path: Path) -> None:
    def with_b2(value: str) -> str:
        return f'<row r="2"><c r="A2" t="inlineStr"><is><t>杭罚1</t></is></c><c r="B2"><v>{value}</v></c></row>'

    path = hand_built_workbook(tmp_path / "inf.xlsx", rows=HEADER_ROW + with_b2("1E999") + _row(3, "杭罚2", "乙"))
    rows = read(path)
    assert "第 2 列的数值无效" in str(rows[0][1][ROW_PROBLEM])
    assert rows[1] == (2, {"CF_WSH": "杭罚2", "CF_XDR_MC": "乙"})
    path = hand_built_workbook(tmp_path / "nan.xlsx", rows=HEADER_ROW + with_b2("NaN"))
    with pytest.raises(InvalidInput, match="无法读取"):
        read(path)  # the reader itself fails on it: the file is refused, naming where


def test_a_rejected_row_keeps_nan_as_text_so_that_it_can_be_stored() -> None:
    from pubcredit.collection.validation import protect_raw

    kept = protect_raw({"CF_NR_FK": float("nan"), "CF_NR_WFFF": float("-inf"), "n": 1.5, "b": True}, personal=())
    assert kept == {"CF_NR_FK": "nan", "CF_NR_WFFF": "-inf", "n": 1.5, "b": True}
