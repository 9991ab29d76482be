"""Fixtures for the working-day calendar tests."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

#: A made-up 2027 schedule for tests only — NOT the real State Council notice (not yet published).
SCHEDULE_2027: dict[str, Any] = {
    "year": 2027,
    "source": "测试用虚构安排（非真实通知）",
    "holidays": [
        {"name": "元旦", "dates": ["2027-01-01/2027-01-03"]},
        {"name": "春节", "dates": ["2027-02-06/2027-02-13"]},
        {"name": "国庆节", "dates": ["2027-10-01/2027-10-07"]},
    ],
    "makeup_workdays": [
        {"name": "春节", "dates": ["2027-02-14", "2027-02-20"]},
        {"name": "国庆节", "dates": ["2027-09-26", "2027-10-09"]},
    ],
}


@pytest.fixture
def schedule_2027() -> dict[str, Any]:
    """A fresh deep copy of the made-up 2027 schedule, free to mutate."""
    return copy.deepcopy(SCHEDULE_2027)


@pytest.fixture
def write_schedule(tmp_path: Path) -> Callable[..., Path]:
    """Write a schedule (dict as JSON, or raw text/bytes) to a file under tmp_path."""

    def write(content: dict[str, Any] | str | bytes, name: str = "schedule-2027.json") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """The in-process calendar cache must not carry rows from one test's rolled-back transaction."""
    from pubcredit.workdays import services

    services.clear_cache()
    yield
    services.clear_cache()
