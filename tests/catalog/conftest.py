"""Catalog test helpers: everything is built through catalog.services, as production does."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from pubcredit.catalog import services
from pubcredit.catalog.models import CatalogEntry, CatalogVersion, Department

ACTOR = "test:operator"
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))  # a Monday; the tests' "now"


def adverse_content(**overrides: Any) -> dict[str, Any]:
    """A small valid adverse version: a decision keyed by its number, about an organisation."""
    content: dict[str, Any] = {
        "item": "测试处罚决定",
        "subject_kinds": ["legal_person"],
        "open_level": "public",
        "frequency": "daily",
        "fields": [
            {"name": "uscc", "label": "统一社会信用代码", "type": "uscc", "required": True},
            {"name": "decision_no", "label": "决定书文号", "type": "string", "required": True, "max_length": 64},
            {"name": "decided_on", "label": "决定日期", "type": "date", "required": True},
        ],
        "natural_key": ["decision_no"],
        "decision_date_field": "decided_on",
        "legal_basis": "《中华人民共和国行政处罚法》",
        "disclosure_months": 60,
        "repair_rules": {"scope": "本单位的处罚信息", "conditions": ["已履行处罚决定"], "ways": ["纠正失信行为"]},
    }
    content.update(overrides)
    return content


@pytest.fixture
def department(db: None) -> Department:
    return services.create_department("hz-test", "杭州市测试局", actor=ACTOR)


@pytest.fixture
def entry(department: Department) -> CatalogEntry:
    return services.create_entry("test-penalty", "测试处罚信息", department, "adverse", actor=ACTOR)


@pytest.fixture
def draft(entry: CatalogEntry) -> CatalogVersion:
    return services.create_draft_version(entry, **adverse_content(), actor=ACTOR)


def consult(version: CatalogVersion, days: int = 10) -> CatalogVersion:
    return services.open_consultation(version, ends_on=T0.date() + dt.timedelta(days=days), actor=ACTOR, now=T0)


def after_consultation(days: int = 10) -> dt.datetime:
    return T0 + dt.timedelta(days=days + 1)


def to_state(version: CatalogVersion, state: str) -> CatalogVersion:
    """Drive a fresh draft into ``state`` through the services."""
    if state == "draft":
        return version
    if state == "consultation":
        return consult(version)
    if state == "published":
        return services.publish(consult(version), actor=ACTOR, now=after_consultation())
    if state == "retired":
        return services.retire(version, actor=ACTOR)
    raise AssertionError(state)


def shipped() -> dict[str, Any]:
    """The shipped initial catalog file as a fresh dict, to be altered by a test."""
    data: dict[str, Any] = json.loads(services.INITIAL_CATALOG_PATH.read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def admin_client(admin_user: Any) -> Any:
    """pytest-django's ``admin_client``, with the second factor passed: staff reach /admin/ only after it."""
    from tests.access.helpers import verified_client

    return verified_client(admin_user)
