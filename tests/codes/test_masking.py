"""Masking for display and logs: fixed cases; unexpected shapes are masked entirely."""

from __future__ import annotations

import pytest

from pubcredit.codes import mask_name, mask_phone, mask_resident_id, mask_text


@pytest.mark.parametrize(
    ("code", "masked"),
    [
        ("330106199001011234", "330106********1234"),
        ("11010519491231002X", "110105********002X"),
        (" 330106199001011234 ", "330106********1234"),
        ("330106900101123", "330106******123"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_resident_id(code: str, masked: str) -> None:
    assert mask_resident_id(code) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张*丰"),
        ("张三", "张*"),
        ("张", "*"),
        ("欧阳娜娜", "欧**娜"),
        ("阿卜杜·热合曼", "阿**·**曼"),
        (" 李四 ", "李*"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138-1234-5678", "138-****-5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("008613812345678", "0086138****5678"),
        ("0571-87654321", "057*-****4321"),
        ("123456", "******"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_mask_text_masks_every_id_shaped_run() -> None:
    text = "查询 330106199001011234，另 id=11010519491231002x;"
    assert mask_text(text) == "查询 330106********1234，另 id=110105********002x;"


def test_mask_text_ignores_other_numbers() -> None:
    text = "卡号 6222021234567890123 金额 12345678901234567 代码 91110000600037341L"
    assert mask_text(text) == text


def test_mask_text_masks_id_without_check_digit_validity() -> None:
    assert mask_text("ID:330106199001011230") == "ID:330106********1230"


def test_mask_text_leaves_digests_whole_even_when_they_hold_an_id_shaped_run() -> None:
    # A real SHA-256 content digest of a report (2026-11-26) with 18 decimal digits in a row: the
    # audit entry of its issue once recorded it as 8e77…512278********2747…, no longer the digest.
    digest = "8e77699321c1ef512278737711532747d135a3a18ce22d760b268a2b1a982282"
    assert mask_text(digest) == digest
    assert mask_text(f"digest={digest};") == f"digest={digest};"
    assert mask_text(digest.upper()) == digest.upper()


@pytest.mark.parametrize(("text", "masked"), [
    # Next to letters, but not in a digest: still masked (fail closed).
    ("ID330106199001011234", "ID330106********1234"),
    ("abc330106199001011234def", "abc330106********1234def"),
    # Hex on both sides but too short for a digest (31 characters in all).
    ("ab330106199001011234cdefabcdeab", "ab330106********1234cdefabcdeab"),
    # A long token that is not hex (a letter past f): masked.
    ("330106199001011234" + "g" * 40, "330106********1234" + "g" * 40),
    # A digest and a resident ID side by side: only the ID is masked.
    ("8e77699321c1ef512278737711532747d135a3a18ce22d760b268a2b1a982282 330106199001011234",
     "8e77699321c1ef512278737711532747d135a3a18ce22d760b268a2b1a982282 330106********1234"),
])
def test_mask_text_masks_id_shaped_runs_outside_digests(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(("text", "expected"), [
    ("身份证号 330106198506155330，", "身份证号 330106********5330，"),
    ("证件 ３３０１０６１９８５０６１５５３３Ｘ 号", "证件 330106********533X 号"),  # full width
    ("证件 330106 19850615 533x 号", "证件 330106********533X 号"),  # grouped 6-8-4
    ("代码 913301061234567890 公司", "代码 913301061234567890 公司"),  # an all-digit USCC: no birth date there
    ("摘要 8e77ab12330106198506155330ffe0a1b2c3d4e5f60718293a4b5c6d7e8f90", None),  # inside a digest
    ("编号 3301061985061553301", None),  # 19 digits: not an ID
    ("短", None),
])
def test_ids_in_free_text_are_masked_however_written(text: str, expected: str | None) -> None:
    from pubcredit.codes.masking import mask_ids_in_text

    assert mask_ids_in_text(text) == (text if expected is None else expected)
