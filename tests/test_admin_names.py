"""The back-office index is in Chinese first (zh-hans) and fully in English when English is chosen:
every app and every model it lists, ours and the libraries' (found: the app names of six of our
apps and the background-task app, and that app's model, were shown in English in Chinese)."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, label_for_field
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


def _column_labels(language: str) -> list[tuple[str, str, str]]:
    """(model, column, filter or read-only field, label) of every list and page in the back-office."""
    found = []
    request = RequestFactory().get("/admin/")
    request.user = make_user("operator", f"columns-{language}", superuser=True)
    with translation.override(language):
        for model, model_admin in admin.site._registry.items():
            names = [n for n in model_admin.list_display if isinstance(n, str) and n != "action_checkbox"]
            names += [n for n in model_admin.get_readonly_fields(request) if isinstance(n, str)]
            names += [f[0] if isinstance(f, tuple) else f for f in model_admin.list_filter if not isinstance(f, type)]
            found += [(model._meta.label, n, str(get_fields_from_path(model, n)[-1].verbose_name if "__" in n.strip("_")
                                                 else label_for_field(n, model, model_admin))) for n in names]
    return found


def test_every_list_column_and_filter_is_labelled_in_chinese() -> None:
    """Found: 40 columns and filters were labelled from the field name (``natural key``, ``open level``…),
    among them every column of the records list."""
    labels = _column_labels("zh-hans")
    assert len(labels) > 60
    assert [x for x in labels if not _HAN.search(x[2]) and x[2].lower() != "id"] == []


def test_every_list_column_and_filter_is_labelled_in_english_when_english_is_chosen() -> None:
    assert [x for x in _column_labels("en") if _HAN.search(x[2])] == []
