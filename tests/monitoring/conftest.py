"""Fixtures for the monitoring tests; the data helpers are in ``helpers``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pubcredit.workdays import services as workdays
from pubcredit.workdays.rules import WorkdayCalendar


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """The in-process calendar cache must not outlive a test's database."""
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture
def cal(db: None) -> WorkdayCalendar:
    """The official calendar as seeded by the workdays migration (2004–2026 known)."""
    return workdays.calendar()
