"""Operators are told when a year's holiday schedule is due (Art. 34, 35: deadlines in working
days on the official calendar): the current year, always; the next one, from 1 November. Told on
the back-office index and when the server starts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone, translation

from pubcredit.cli import serve
from pubcredit.workdays import rules, services
from tests.access.helpers import make_user, verified_client

SEEDED = range(2004, 2027)  # what migration workdays.0002 loads


@pytest.mark.parametrize(("today", "due"), [
    (dt.date(2026, 6, 1), None),
    (dt.date(2026, 10, 31), None),  # the day before the next year is due
    (dt.date(2026, 11, 1), (2027, False)),
    (dt.date(2026, 11, 26), (2027, False)),
    (dt.date(2026, 12, 31), (2027, False)),
    (dt.date(2027, 1, 4), (2027, True)),  # the year has begun and its notice is still not loaded
])
def test_which_year_is_due(today: dt.date, due: tuple[int, bool] | None) -> None:
    assert rules.schedule_reminder(today, SEEDED) == due


def test_nothing_is_due_once_the_next_year_is_loaded() -> None:
    assert rules.schedule_reminder(dt.date(2026, 11, 26), [*SEEDED, 2027]) is None
    assert rules.schedule_reminder(dt.date(2027, 1, 4), [2027]) is None


@pytest.mark.django_db
def test_the_reminder_names_the_year_and_goes_once_it_is_loaded(write_schedule: Any,
                                                                  schedule_2027: dict[str, Any]) -> None:
    services.clear_cache()
    text = services.schedule_reminder(dt.date(2026, 11, 26))
    assert text.startswith("2027 年节假日安排尚未载入")
    assert "pubcredit workdays load" in text
    with translation.override("en"):
        assert services.schedule_reminder(dt.date(2026, 11, 26)).startswith(
            "The 2027 holiday schedule is not loaded")
    assert "从今天起计算的期限" in services.schedule_reminder(dt.date(2027, 1, 4))
    services.load_schedule(write_schedule(schedule_2027), actor="test:operator")
    assert services.schedule_reminder(dt.date(2026, 11, 26)) == ""


@pytest.mark.django_db
def test_the_back_office_index_shows_it(monkeypatch: pytest.MonkeyPatch, write_schedule: Any,
                                        schedule_2027: dict[str, Any]) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 26))
    services.clear_cache()
    client = verified_client(make_user("operator", "reminder-op", superuser=True))
    page = client.get("/admin/").content.decode()
    assert 'data-reminder="workdays"' in page
    assert "2027 年节假日安排尚未载入" in page
    services.load_schedule(write_schedule(schedule_2027), actor="test:operator")
    assert 'data-reminder="workdays"' not in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_the_server_says_it_when_it_starts(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 26))
    services.clear_cache()
    serve.remind_schedule()
    assert capsys.readouterr().err.startswith("pubcredit: 2027 年节假日安排尚未载入")
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 6, 1))
    serve.remind_schedule()
    assert capsys.readouterr().err == ""


def test_a_database_that_cannot_be_read_does_not_stop_the_server(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from django.db import OperationalError

    def unreachable() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(services, "calendar", unreachable)
    serve.remind_schedule()
    assert capsys.readouterr().err == ""
