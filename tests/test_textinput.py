"""The one rule for free text typed by people: whitespace collapsed, NUL refused naming the field."""

from __future__ import annotations

import pytest

from pubcredit.errors import InvalidInput
from pubcredit.textinput import one_line, storable


def test_whitespace_is_collapsed_and_none_is_empty() -> None:
    assert one_line("  贷款\t审批\n 用途 ", field="purpose") == "贷款 审批 用途"
    assert one_line(None, field="purpose") == ""


def test_a_nul_character_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        one_line("贷款\x00审批", field="purpose")
    assert caught.value.field == "purpose"
    assert "U+0000" in caught.value.message


def test_storable_replaces_nul_only() -> None:
    assert storable("a\x00b\x00") == "a\ufffdb\ufffd"
    assert storable("杭州\t有限公司") == "杭州\t有限公司"


def test_a_lone_surrogate_is_refused_and_kept_as_replacement() -> None:
    with pytest.raises(InvalidInput) as caught:
        one_line("贷款\ud800审批", field="purpose")
    assert caught.value.field == "purpose"
    assert "U+D800" in caught.value.message
    assert storable("a\udc00b\x00") == "a\ufffdb\ufffd"
    assert storable("😀 杭州") == "😀 杭州"  # a proper pair is text


def test_unencodable_in_names_where() -> None:
    from pubcredit.textinput import unencodable_in

    assert unencodable_in({"rows": [{"a": "ok"}, {"b": "x\ud83d"}]}) == ("rows.2.b", "U+D83D")
    assert unencodable_in({"k\udfff": 1}) == ("k\udfff", "U+DFFF")
    assert unencodable_in({"rows": [{"a": "😀"}], "n": 3}) is None
