"""Collection test helpers: the shipped catalog, valid rows of the 双公示 penalty format, files."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog import services as catalog_services
from pubcredit.catalog.models import Department
from pubcredit.collection import services
from pubcredit.collection.models import Batch
from pubcredit.collection.readers import open_rows
from tests.factories import subjects as f

ACTOR = "test:officer"
PENALTY = "penalty-scjg"
PENALTY_DEPT = "hz-scjgj"
AUTHORITY_USCC = "11330100002493617C"  # a valid code (check character C) for the deciding authority
_seq = iter(range(1, 10**9))


@pytest.fixture(scope="module")
def catalog(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The shipped catalog, loaded once per module; each test runs in its own rolled-back savepoint."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            catalog_services.load_initial_catalog(actor=ACTOR)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def dept(catalog: None, db: None) -> Department:
    return catalog_queries.department_by_code(PENALTY_DEPT)


def penalty_row(uscc: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid penalty row (national 双公示 format) about an organisation."""
    n = next(_seq)
    row: dict[str, Any] = {
        "CF_XDR_MC": "杭州测试科技有限公司", "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": uscc or f.uscc(),
        "CF_FRDB": "王五", "CF_WSH": f"杭市监罚〔2025〕{n}号", "CF_WFXW": "违反《中华人民共和国食品安全法》第三十四条",
        "CF_SY": "经查，当事人销售超过保质期的食品", "CF_YJ": "《中华人民共和国食品安全法》第一百二十四条",
        "CF_CFLB": "02", "CF_AJCXLB": "02", "CF_NR": "罚款人民币二万元", "CF_NR_FK": "2",
        "CF_JDRQ": "2025-03-03", "CF_YXQ": "2026-03-03", "CF_CFJG": "杭州市市场监督管理局",
        "CF_CFJGDM": AUTHORITY_USCC, "CF_SJLY": "杭州市市场监督管理局", "CF_SJLYDM": AUTHORITY_USCC,
    }
    row.update(overrides)
    return {k: v for k, v in row.items() if v is not None}


def person_penalty_row(resident_id: str, name: str = "李四", **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"CF_XDR_MC": name, "CF_XDR_LB": "自然人", "CF_XDR_SHXYM": None, "CF_FRDB": None,
                              "CF_XDR_ZJLX": "身份证", "CF_XDR_ZJHM": resident_id}
    values.update(overrides)
    return penalty_row(**values)


def numbered(rows: list[Mapping[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    return [(i, dict(r)) for i, r in enumerate(rows, start=1)]


def write_csv(path: Path, rows: list[Mapping[str, Any]], *, encoding: str = "utf-8",
              columns: list[str] | None = None) -> Path:
    cols = columns or list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(cols)
        for r in rows:
            writer.writerow([r.get(c, "") for c in cols])
    return path


def write_jsonl(path: Path, rows: list[Mapping[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def submit(dept: Department, rows: list[Mapping[str, Any]] | Any, *, entry: str = PENALTY, **kw: Any) -> Batch:
    source = numbered(rows) if isinstance(rows, list) else rows
    return services.submit_batch(entry_code=entry, department=dept, rows=source, channel=kw.pop("channel", "api"),
                                 actor=ACTOR, **kw)


def submit_file(dept: Department, path: Path, *, entry: str = PENALTY) -> Batch:
    with open_rows(path) as source:
        return services.submit_batch(entry_code=entry, department=dept, rows=source, channel="file",
                                     filename=path.name, actor=ACTOR)
