"""The back-office index is in Chinese first (zh-hans) and fully in English when English is chosen:
every app and every model it lists, ours and the libraries' (found: the app names of six of our
apps and the background-task app, and that app's model, were shown in English in Chinese)."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import translation

from tests.access.helpers import make_user

pytestmark = pytest.mark.django_db

_HAN = re.compile(r"[\u4e00-\u9fff]")


def _index_names(language: str) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = make_user("operator", f"names-{language}", superuser=True)
    with translation.override(language):
        apps = admin.site.get_app_list(request)
        return [str(a["name"]) for a in apps] + [str(m["name"]) for a in apps for m in a["models"]]


def test_every_name_on_the_index_is_chinese() -> None:
    names = _index_names("zh-hans")
    assert len(names) > 20
    assert [n for n in names if not _HAN.search(n)] == []


def test_every_name_on_the_index_is_english_when_english_is_chosen() -> None:
    assert [n for n in _index_names("en") if _HAN.search(n)] == []


def test_the_task_results_list_speaks_chinese() -> None:
    from django_tasks_db.models import DBTaskResult

    with translation.override("zh-hans"):
        labels = [str(f.verbose_name) for f in DBTaskResult._meta.fields if f.name != "id"]
        statuses = [str(label) for _, label in DBTaskResult._meta.get_field("status").choices or []]
    assert [n for n in labels + statuses if not _HAN.search(n)] == []
