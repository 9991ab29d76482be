"""The catalog back office: actions call the services, refusals are messages, state is never a form field."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pubcredit.catalog import rules, services
from pubcredit.catalog.models import CatalogEntry, CatalogEvent, CatalogVersion, ConsultationComment, VersionState
from tests.catalog.conftest import ACTOR, adverse_content, to_state

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when var/static has not been collected yet; that is not what these tests check.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

CHANGELIST = "admin:catalog_catalogversion_changelist"


def run_action(client: Client, action: str, *versions: CatalogVersion) -> str:
    response = client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [v.pk for v in versions]},
                           follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("model", ["department", "catalogentry", "catalogversion", "consultationcomment",
                                   "catalogevent"])
def test_changelists_render(admin_client: Client, draft: CatalogVersion, model: str) -> None:
    assert admin_client.get(reverse(f"admin:catalog_{model}_changelist")).status_code == 200


def test_publish_action_on_a_draft_shows_the_conflict(admin_client: Client, draft: CatalogVersion) -> None:
    page = run_action(admin_client, "publish_action", draft)
    assert "当前状态为「草稿」，不能直接发布" in page
    assert "第九条" in page
    assert CatalogVersion.objects.get(pk=draft.pk).state == VersionState.DRAFT


def test_consultation_then_publish_and_retire_actions(admin_client: Client, draft: CatalogVersion) -> None:
    page = run_action(admin_client, "open_consultation_action", draft)
    version = CatalogVersion.objects.get(pk=draft.pk)
    assert version.state == VersionState.CONSULTATION
    assert version.consultation_ends_on == timezone.localdate() + dt.timedelta(days=rules.CONSULTATION_DEFAULT_DAYS)
    assert "已开始征求意见" in page
    assert "期满后才能发布" in run_action(admin_client, "publish_action", version)
    services.retire(version, actor=ACTOR)
    # refused: shown as a message, not raised
    assert "当前状态为「已废止」，不能废止" in run_action(admin_client, "retire_action", version)
    event = CatalogEvent.objects.filter(version=version, event="catalog:version:consultation_opened").get()
    assert event.actor == "admin:admin"


def test_state_is_not_a_form_field(admin_client: Client, draft: CatalogVersion) -> None:
    add_page = admin_client.get(reverse("admin:catalog_catalogversion_add")).content.decode()
    assert 'name="state"' not in add_page
    change_url = reverse("admin:catalog_catalogversion_change", args=[draft.pk])
    change_page = admin_client.get(change_url).content.decode()
    assert 'name="state"' not in change_page
    assert 'name="item"' in change_page


def _version_post(entry: CatalogEntry, **overrides: Any) -> dict[str, Any]:
    content = adverse_content(**overrides)
    return {
        "entry": entry.pk, "item": content["item"], "subject_kinds": ",".join(content["subject_kinds"]),
        "open_level": content["open_level"], "frequency": content["frequency"],
        "fields": json.dumps(content["fields"], ensure_ascii=False), "natural_key": ",".join(content["natural_key"]),
        "decision_date_field": content["decision_date_field"], "legal_basis": content["legal_basis"],
        "domain": "", "disclosure_months": content["disclosure_months"],
        "repair_rules": json.dumps(content["repair_rules"], ensure_ascii=False), "submission_lag_workdays": "",
        "note": "", "subject_fields": "{}", "state": "published",
    }


def test_adding_a_version_goes_through_the_service(admin_client: Client, entry: CatalogEntry) -> None:
    response = admin_client.post(reverse("admin:catalog_catalogversion_add"), _version_post(entry))
    assert response.status_code == 302
    version = CatalogVersion.objects.get(entry=entry)
    assert (version.number, version.state) == (1, VersionState.DRAFT)  # the posted state is ignored
    assert version.subject_fields == {"uscc": "uscc"}
    assert CatalogEvent.objects.filter(version=version, event="catalog:version:drafted").exists()


def test_prohibited_field_is_a_form_error_and_nothing_is_written(admin_client: Client, entry: CatalogEntry) -> None:
    fields = [*adverse_content()["fields"], {"name": "faith", "label": "宗教信仰", "type": "string"}]
    response = admin_client.post(reverse("admin:catalog_catalogversion_add"), _version_post(entry, fields=fields))
    assert response.status_code == 200
    assert "宗教信仰" in response.content.decode()
    assert not CatalogVersion.objects.exists()


@pytest.mark.parametrize("field", ["fields", "repair_rules", "subject_fields"])
def test_json_nested_too_deeply_is_a_form_error_not_a_500(admin_client: Client, entry: CatalogEntry,
                                                          field: str) -> None:
    """Django's JSON form field catches decoding errors only; past ~1,000 levels Python's parser
    raises RecursionError: the draft form answered 500."""
    post = _version_post(entry)
    post[field] = "[" * 100_000 + "]" * 100_000
    response = admin_client.post(reverse("admin:catalog_catalogversion_add"), post)
    assert response.status_code == 200
    assert "JSON 嵌套层数过多" in response.content.decode()
    assert not CatalogVersion.objects.exists()


def test_published_version_opens_read_only(admin_client: Client, draft: CatalogVersion) -> None:
    version = to_state(draft, "published")
    url = reverse("admin:catalog_catalogversion_change", args=[version.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="item"' not in page
    assert admin_client.post(url, {"item": "改动"}).status_code == 403
    assert CatalogVersion.objects.get(pk=version.pk).item == "测试处罚决定"


def test_comment_only_on_a_version_in_consultation(admin_client: Client, draft: CatalogVersion) -> None:
    url = reverse("admin:catalog_consultationcomment_add")
    post = {"version": draft.pk, "author_name": "赵六", "contact": "", "text": "意见", "reply": ""}
    response = admin_client.post(url, post)
    assert response.status_code == 200
    assert "只在征求意见期间接受意见" in response.content.decode()
    assert not ConsultationComment.objects.exists()
    services.open_consultation(draft, ends_on=timezone.localdate() + dt.timedelta(days=5), actor=ACTOR)
    assert admin_client.post(url, post).status_code == 302
    comment = ConsultationComment.objects.get()
    change = reverse("admin:catalog_consultationcomment_change", args=[comment.pk])
    assert admin_client.post(change, {"reply": "已收悉"}).status_code == 302
    assert ConsultationComment.objects.get().reply == "已收悉"


def test_department_added_through_the_service(admin_client: Client) -> None:
    response = admin_client.post(reverse("admin:catalog_department_add"),
                                 {"code": "hz-new", "name": "杭州市新局", "uscc": "", "district_code": "330100",
                                  "is_active": "on"})
    assert response.status_code == 302
    assert CatalogEvent.objects.filter(event="catalog:department:created", actor="admin:admin").exists()
    bad = admin_client.post(reverse("admin:catalog_department_add"),
                            {"code": "hz-bad", "name": "坏", "uscc": "91110000600037341A", "district_code": "330100"})
    assert bad.status_code == 200
    assert "校验码" in bad.content.decode()


def test_nothing_can_be_deleted(admin_client: Client, draft: CatalogVersion) -> None:
    url = reverse("admin:catalog_catalogversion_delete", args=[draft.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert CatalogVersion.objects.filter(pk=draft.pk).exists()


def test_entry_form_refuses_an_inactive_department_and_duplicate_code(admin_client: Client,
                                                                     entry: CatalogEntry) -> None:
    url = reverse("admin:catalog_catalogentry_add")
    duplicate = admin_client.post(url, {"code": "TEST-PENALTY", "name": "重复", "department": entry.department.pk,
                                        "info_class": "basic"})
    assert "已存在" in duplicate.content.decode()
    services.update_department(entry.department, is_active=False, actor=ACTOR)
    inactive = admin_client.post(url, {"code": "new-entry", "name": "新", "department": entry.department.pk,
                                       "info_class": "basic"})
    assert inactive.status_code == 200
    assert "已停用" in inactive.content.decode()
    assert CatalogEntry.objects.count() == 1
