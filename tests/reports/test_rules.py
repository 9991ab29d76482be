"""Pure rules of the report: canonical digest, verification codes, sections, special-report classes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pubcredit.reports import hooks, rules, signing
from pubcredit.reports.rules import EntryInfo


def test_canonical_json_is_sorted_compact_utf8_and_digest_is_its_sha256() -> None:
    content = {"b": [1, {"z": None, "a": "失信"}], "a": True}
    text = rules.canonical_json(content)
    assert text == '{"a":true,"b":[1,{"a":"失信","z":null}]}'
    assert rules.content_digest(content) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert rules.content_digest({"a": True, "b": [1, {"a": "失信", "z": None}]}) == rules.content_digest(content)


def test_canonical_json_refuses_non_json_values() -> None:
    with pytest.raises(TypeError):
        rules.canonical_json({"d": date(2025, 1, 1)})
    with pytest.raises(ValueError, match="JSON"):
        rules.canonical_json({"x": float("nan")})


def test_canonical_bytes_are_exactly_the_canonical_json_of_report_content() -> None:
    # Every character class a record field may carry: controls (short and \\u escapes), quotes and
    # backslashes, DEL, line/paragraph separators, CJK, an Extension B name character, the last BMP
    # and astral code points; keys that sort differently by bytes and by code points would differ too.
    tricky = "".join(chr(i) for i in range(0x80)) + "\u2028\u2029\u00e9杭州𠀀\ud7ff\ue000\uffff\U0010ffff\x85"
    content = {"z": [tricky, 0, -(2**62), 2**62, True, False, None, {"b": "\\", "a": '"'}], "é": 1, "e": 2,
               "𠀀": 3, "\uffff": 4, "": 0, "nested": {"fields": [{"name": "x", "label": "名称", "value": tricky}]}}
    assert rules.canonical_bytes(content) == rules.canonical_json(content).encode("utf-8")
    assert rules.digest_of(rules.canonical_bytes(content)) == rules.content_digest(content)


def test_canonical_bytes_of_a_real_report_match_and_refuse_non_json() -> None:
    item = rules.Item(entry_code="penalty-market", entry_name="行政处罚", info_class="adverse", department="市监局",
                      decision_date=date(2025, 3, 1), disclosure_until=None, open_level="public", source="public",
                      fields=(("doc", "文书号", "杭市监罚〔2025〕1号\n"),), marks=(rules.OBJECTION_MARK,), record_id=7,
                      version=2)
    report = rules.Report(kind=rules.ReportKind.FULL, as_of=date(2025, 3, 2),
                          subject=rules.SubjectBlock("某公司", "91330100MA2XXXXXXX", "legal_person", "法人", "330100",
                                                     "杭州市", True, (("legal_rep", "法定代表人", "张三", ""),)),
                          reader=rules.ReaderBlock("public", "社会公众"), levels=("public",),
                          sections=(rules.Section("adverse", (item,)),), notes=rules.STANDARD_NOTES)
    assert rules.canonical_bytes(report.content()) == rules.canonical_json(report.content()).encode("utf-8")
    with pytest.raises(TypeError):
        rules.canonical_bytes({"d": date(2025, 1, 1)})
    with pytest.raises(TypeError):
        rules.canonical_bytes({"d": datetime(2025, 1, 1, tzinfo=UTC)})


def test_verification_codes_are_16_unambiguous_characters() -> None:
    codes = {rules.new_verification_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 16
        assert set(code) <= set(rules.CODE_ALPHABET)
        assert not set(code) & set("ILOU")


def test_verification_codes_use_every_character_at_every_position() -> None:
    # 80 random bits, five per character: each of the 32 characters turns up at each of the 16
    # positions (a slip in the bit slicing would leave characters or positions fixed). A miss by
    # chance in 3000 codes has probability below 16 × 32 × (31/32)^3000 ≈ 1e-39.
    codes = [rules.new_verification_code() for _ in range(3000)]
    for position in range(rules.CODE_LENGTH):
        assert {code[position] for code in codes} == set(rules.CODE_ALPHABET)


@pytest.mark.parametrize(("typed", "stored"), [
    ("ABCD-EFGH-JKMN-PQRS", "ABCDEFGHJKMNPQRS"),
    ("abcd efgh jkmn pqrs", "ABCDEFGHJKMNPQRS"),
    ("0O1I-L000-0000-0000", "0011100000000000"),  # O→0, I/L→1 as typed from paper
])
def test_typed_codes_are_normalised(typed: str, stored: str) -> None:
    assert rules.normalize_verification_code(typed) == stored
    assert rules.format_verification_code(stored) == "-".join(stored[i:i + 4] for i in (0, 4, 8, 12))


@pytest.mark.parametrize("bad", ["", "ABCD", "ABCD-EFGH-JKMN-PQR", "ABCD-EFGH-JKMN-PQRSU", "ABCD-EFGH-JKMN-PQR!"])
def test_malformed_codes_are_refused(bad: str) -> None:
    assert rules.normalize_verification_code(bad) is None


def test_signed_message_uses_utc_seconds_and_grouped_code() -> None:
    at = datetime(2026, 11, 26, 6, 4, 45, 123456, tzinfo=timezone(timedelta(hours=8)))
    msg = rules.signed_message(code="ABCDEFGHJKMNPQRS", digest="ab" * 32, subject_code="330106********123X",
                               issued_at=at, kind="special", as_of=date(2026, 11, 26), reader_basis="own",
                               subject_name="张*丰", parameters={"to": "2026-11-26", "from": "2023-11-26"})
    expected = (f"pubcredit-report-v2|ABCD-EFGH-JKMN-PQRS|{'ab' * 32}|330106********123X|2026-11-25T22:04:45Z|"
                'special|2026-11-26|own|张*丰|{"from":"2023-11-26","to":"2026-11-26"}')
    assert msg.decode() == expected
    # Reports issued before v2 keep their message.
    old = rules.signed_message_v1(code="ABCDEFGHJKMNPQRS", digest="ab" * 32, subject_code="330106********123X",
                                  issued_at=at)
    assert old.decode() == ("pubcredit-report-v1|ABCD-EFGH-JKMN-PQRS|" + "ab" * 32
                            + "|330106********123X|2026-11-25T22:04:45Z")


def test_free_text_in_the_signed_message_cannot_shift_its_parts() -> None:
    at = datetime(2026, 11, 26, 6, 4, 45, tzinfo=UTC)
    msg = rules.signed_message(code="ABCDEFGHJKMNPQRS", digest="ab" * 32, subject_code="91330106MA2XXXXX0X",
                               issued_at=at, kind="full", as_of=date(2026, 11, 26), reader_basis="public",
                               subject_name="杭州|管道%有限公司", parameters={})
    parts = msg.decode().split("|")
    assert len(parts) == 10
    assert parts[8:] == ["杭州%7C管道%25有限公司", "{}"]
    with pytest.raises(ValueError, match="aware"):
        rules.issued_at_text(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_signature_roundtrip_and_tamper_detection() -> None:
    key = signing.key_from_seed("dGVzdC1yZXBvcnQtc2lnbmluZy1zZWVkLTMyYnl0ZXM=")
    sig = signing.sign(key, b"message")
    assert signing.signature_valid(key.public_b64, b"message", sig)
    assert not signing.signature_valid(key.public_b64, b"messagE", sig)
    assert not signing.signature_valid(key.public_b64, b"message", "not base64!")
    other = signing.key_from_seed("b3RoZXItcmVwb3J0LXNpZ25pbmctc2VlZC0zMmJ5dGU=")
    assert not signing.signature_valid(other.public_b64, b"message", sig)
    assert len(key.key_id) == 16
    with pytest.raises(ValueError, match="32 bytes"):
        signing.key_from_seed("c2hvcnQ=")


@pytest.mark.parametrize(("entry", "info_class", "source", "section"), [
    ("penalty-scjg", "adverse", "public", "adverse"),
    ("court-defaulter", "adverse", "public", "lists"),
    ("business-anomaly", "adverse", "public", "lists"),
    ("serious-dishonesty-org", "adverse", "public", "lists"),
    ("commitment-breach-org", "adverse", "public", "commitments"),
    ("awards-org", "trustworthy", "public", "trustworthy"),
    ("org-registration", "basic", "public", "basic"),
    ("awards-org", "trustworthy", "self_declared", "self_declared"),
])
def test_section_of_a_record(entry: str, info_class: str, source: str, section: str) -> None:
    assert rules.section_for(entry_code=entry, info_class=info_class, source=source) == section


@dataclass(frozen=True)
class _Rec:
    id: int
    info_class: str
    source: str


def test_concealment_hook_drops_only_good_or_self_declared_information() -> None:
    """Art. 35: good and self-declared information can be concealed; adverse information never."""
    recs = [_Rec(1, "trustworthy", "public"), _Rec(2, "adverse", "public"), _Rec(3, "basic", "self_declared"),
            _Rec(4, "trustworthy", "public")]
    kept = rules.without_concealed(recs, frozenset({1, 2, 3}))
    assert [r.id for r in kept] == [2, 4]
    assert rules.without_concealed(recs, frozenset()) == recs


def _item(**kw: object) -> rules.Item:
    base: dict[str, object] = {"entry_code": "e", "entry_name": "n", "info_class": "adverse", "department": "d",
                               "decision_date": None, "disclosure_until": None, "open_level": "public",
                               "source": "public", "record_id": 7}
    return rules.Item(**(base | kw))  # type: ignore[arg-type]


def test_marks_hook_marks_objections_and_self_declared() -> None:
    """Art. 34: a record under objection carries 异议处理中; self-declared records carry 自主申报."""
    items = rules.apply_marks([_item(record_id=7), _item(record_id=8, source="self_declared"), _item(record_id=9)],
                              {7: [rules.OBJECTION_MARK, rules.OBJECTION_MARK], 8: [rules.OBJECTION_MARK]})
    assert [it.marks for it in items] == [("异议处理中",), ("自主申报", "异议处理中"), ()]


def test_marks_of_one_item_are_kept_in_order_without_repeats() -> None:
    marks = {7: ("异议处理中", "信用修复中", "异议处理中")}
    assert rules.marks_of(source="public", record_id=8, marks=marks) == ()
    assert rules.marks_of(source="public", record_id=None, marks=marks) == ()
    assert rules.marks_of(source="public", record_id=7, marks=marks) == ("异议处理中", "信用修复中")
    assert rules.marks_of(source="self_declared", record_id=7, marks=marks) == ("自主申报", "异议处理中", "信用修复中")
    assert rules.marks_of(source="public", record_id=8, marks={}, present=("x", "x")) == ("x",)


def test_hook_registry_collects_marks_and_concealment_once_for_all_records() -> None:
    calls: list[tuple[int, ...]] = []

    def objections(ids: object) -> dict[int, list[str]]:
        calls.append(tuple(ids))  # type: ignore[arg-type]
        return {2: [rules.OBJECTION_MARK]}

    assert hooks.record_marks([1, 2, 3]) == {}  # nothing registered today
    with hooks.registered(hooks.MARK_SOURCES, objections):
        assert hooks.record_marks([1, 2, 3]) == {2: ("异议处理中",)}
        assert hooks.record_marks([]) == {}
    assert calls == [(1, 2, 3)]
    assert hooks.MARK_SOURCES == []
    with hooks.registered(hooks.CONCEALMENT_SOURCES, lambda subject_id, ids: [i for i in ids if i % 2]):
        assert hooks.concealed_records(5, [1, 2, 3]) == frozenset({1, 3})
    assert hooks.concealed_records(5, [1, 2, 3]) == frozenset()


CATALOG = [
    EntryInfo("penalty-scjg", "行政处罚信息（市场监管）", "adverse", "public", ("legal_person", "natural_person")),
    EntryInfo("penalty-cgj", "行政处罚信息（城市管理）", "adverse", "public", ("legal_person",)),
    EntryInfo("serious-dishonesty-org", "严重失信主体名单信息（组织）", "adverse", "public", ("legal_person",)),
    EntryInfo("serious-dishonesty-person", "严重失信主体名单信息（自然人）", "adverse", "authorized",
              ("natural_person",)),
    EntryInfo("business-anomaly", "经营异常名录信息", "adverse", "public", ("legal_person",)),
    EntryInfo("exam-cheating", "统一考试作弊信息", "adverse", "internal", ("natural_person",)),
    EntryInfo("awards-org", "表彰奖励", "trustworthy", "public", ("legal_person",)),
]


def test_special_classes_select_catalog_entries() -> None:
    got = rules.select_class_entries(rules.SPECIAL_CLASS_CODES, CATALOG, subject_kind="legal_person")
    assert [e.code for e in got["penalty"].applicable] == ["penalty-cgj", "penalty-scjg"]
    assert [e.code for e in got["serious_dishonesty"].applicable] == ["serious-dishonesty-org"]
    assert not got["compulsion"].collected  # no catalog entry: "本平台未归集该类信息"
    assert got["other_adverse"].collected
    assert got["other_adverse"].applicable == ()
    person = rules.select_class_entries(["business_anomaly", "other_adverse"], CATALOG, subject_kind="natural_person")
    assert person["business_anomaly"].collected
    assert person["business_anomaly"].applicable == ()
    assert [e.code for e in person["other_adverse"].applicable] == ["exam-cheating"]
    assert all(e.info_class == "adverse" for g in got.values() for e in g.applicable)


def test_class_parameter_parsing() -> None:
    assert rules.parse_classes(None) == rules.SPECIAL_CLASS_CODES
    assert rules.parse_classes("") == rules.SPECIAL_CLASS_CODES
    assert rules.parse_classes("serious_dishonesty, penalty") == ("penalty", "serious_dishonesty")
    with pytest.raises(ValueError, match="bribery"):
        rules.parse_classes("penalty,bribery")


@pytest.mark.parametrize(("start", "end", "message"), [
    (date(2021, 11, 25), date(2026, 11, 25), None),  # exactly five years
    (date(2021, 11, 24), date(2026, 11, 25), "5 年"),
    (date(2026, 1, 2), date(2026, 1, 1), "起始"),
    (date(2026, 1, 1), date(2026, 11, 26), "今天"),
])
def test_period_at_most_five_years_and_not_in_the_future(start: date, end: date, message: str | None) -> None:
    if message is None:
        rules.check_period(start, end, today=date(2026, 11, 25))
    else:
        with pytest.raises(ValueError, match=message):
            rules.check_period(start, end, today=date(2026, 11, 25))


def test_class_statements_never_claim_no_record_for_what_was_not_searched() -> None:
    kw = {"count": 0, "date_from": date(2024, 1, 1), "date_to": date(2026, 6, 30)}
    assert "未归集" in rules.class_statement("not_collected", **kw)
    assert "不能视为无记录" in rules.class_statement("not_covered", **kw)
    assert rules.class_statement("none", **kw) == "2024年1月1日至2026年6月30日期间，未查询到该类记录。"
    assert "3 条" in rules.class_statement("found", **(kw | {"count": 3}))
    assert "不含" in rules.class_statement("none", uncovered=["统一考试作弊信息"], **kw)


def test_issued_at_text_is_utc() -> None:
    assert rules.issued_at_text(datetime(2026, 1, 1, 8, 0, tzinfo=UTC)) == "2026-01-01T08:00:00Z"
