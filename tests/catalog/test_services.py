"""Catalog services: every transition, every refused one, comments, Art. 37 refusals, the change log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pubcredit.catalog import services
from pubcredit.catalog.models import (
    CatalogEntry,
    CatalogEvent,
    CatalogVersion,
    ConsultationComment,
    Department,
    VersionState,
)
from pubcredit.errors import Conflict, InvalidInput
from tests.catalog.conftest import ACTOR, T0, adverse_content, after_consultation, consult, to_state

pytestmark = pytest.mark.django_db

STATE_LABEL = {"draft": "草稿", "consultation": "征求意见", "published": "已发布", "retired": "已废止"}


def events(version: CatalogVersion) -> list[str]:
    return list(CatalogEvent.objects.filter(version=version).order_by("id").values_list("event", flat=True))


# --- allowed transitions ---

def test_draft_is_created_with_number_one_and_logged(draft: CatalogVersion) -> None:
    assert (draft.number, draft.state) == (1, VersionState.DRAFT)
    assert draft.subject_fields == {"uscc": "uscc"}
    assert draft.repair_rules["decide_within_workdays"] == 3
    event = CatalogEvent.objects.get(version=draft)
    assert (event.event, event.actor) == ("catalog:version:drafted", ACTOR)


def test_draft_to_consultation(draft: CatalogVersion) -> None:
    version = consult(draft)
    assert version.state == VersionState.CONSULTATION
    assert version.consultation_ends_on == T0.date() + dt.timedelta(days=10)
    assert version.consultation_started_at == T0
    assert events(version)[-1] == "catalog:version:consultation_opened"


def test_consultation_to_published_after_the_end_date(draft: CatalogVersion) -> None:
    version = services.publish(consult(draft), actor=ACTOR, now=after_consultation())
    assert version.state == VersionState.PUBLISHED
    assert version.published_at == after_consultation()
    assert version.consultation_skipped_reason == ""
    assert events(version)[-1] == "catalog:version:published"


def test_consultation_back_to_draft_for_revision(draft: CatalogVersion) -> None:
    version = services.return_to_draft(consult(draft), reason="根据意见修改字段", actor=ACTOR)
    assert version.state == VersionState.DRAFT
    services.update_draft(version, item="修改后的事项", actor=ACTOR)
    assert CatalogVersion.objects.get(pk=version.pk).item == "修改后的事项"
    event = CatalogEvent.objects.get(version=version, event="catalog:version:returned_to_draft")
    assert event.reason == "根据意见修改字段"


def test_draft_published_directly_only_with_a_recorded_reason(draft: CatalogVersion) -> None:
    version = services.publish(draft, actor=ACTOR, skip_consultation_reason="初始目录整体征求意见")
    assert version.state == VersionState.PUBLISHED
    assert version.consultation_skipped_reason == "初始目录整体征求意见"
    assert CatalogEvent.objects.get(version=version, event="catalog:version:published").reason == "初始目录整体征求意见"


@pytest.mark.parametrize("state", ["draft", "consultation", "published"])
def test_retire_from_every_live_state(draft: CatalogVersion, state: str) -> None:
    version = services.retire(to_state(draft, state), actor=ACTOR, reason="不再归集")
    assert version.state == VersionState.RETIRED
    assert version.retired_at is not None
    assert events(version)[-1] == "catalog:version:retired"


def test_publish_retires_the_previous_published_version(entry: CatalogEntry) -> None:
    v1 = to_state(services.create_draft_version(entry, **adverse_content(), actor=ACTOR), "published")
    v2 = services.create_draft_version(entry, **adverse_content(item="第二版事项"), actor=ACTOR)
    assert v2.number == 2
    services.publish(consult(v2), actor=ACTOR, now=after_consultation())
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.state, v2.state) == (VersionState.RETIRED, VersionState.PUBLISHED)
    assert v1.retired_at == after_consultation()
    assert list(entry.versions.filter(state=VersionState.PUBLISHED)) == [v2]
    assert CatalogEvent.objects.get(version=v1, event="catalog:version:retired").reason == "被第 2 版取代"


# --- refused transitions ---

@pytest.mark.parametrize("state", ["consultation", "published", "retired"])
def test_open_consultation_refused_unless_draft(draft: CatalogVersion, state: str) -> None:
    version = to_state(draft, state)
    with pytest.raises(Conflict) as err:
        consult(version)
    assert STATE_LABEL[state] in err.value.message


@pytest.mark.parametrize("state", ["published", "retired"])
def test_publish_refused_from_published_and_retired(draft: CatalogVersion, state: str) -> None:
    version = to_state(draft, state)
    with pytest.raises(Conflict) as err:
        services.publish(version, actor=ACTOR, now=after_consultation(), skip_consultation_reason="x")
    assert STATE_LABEL[state] in err.value.message


def test_publish_from_draft_without_reason_is_refused(draft: CatalogVersion) -> None:
    with pytest.raises(Conflict) as err:
        services.publish(draft, actor=ACTOR)
    assert "草稿" in err.value.message
    assert "第九条" in err.value.message
    assert CatalogVersion.objects.get(pk=draft.pk).state == VersionState.DRAFT


def test_publish_refused_before_the_consultation_ends(draft: CatalogVersion) -> None:
    version = consult(draft, days=10)
    with pytest.raises(Conflict, match="期满后才能发布"):
        services.publish(version, actor=ACTOR, now=T0 + dt.timedelta(days=10))


def test_publish_refused_while_a_comment_is_unanswered(draft: CatalogVersion) -> None:
    version = consult(draft)
    comment = services.add_comment(version, author_name="张三", text="建议缩短披露期限", actor="public", now=T0)
    with pytest.raises(Conflict, match="1 条意见未答复"):
        services.publish(version, actor=ACTOR, now=after_consultation())
    services.reply_comment(comment, reply="已采纳部分意见", actor=ACTOR)
    assert services.publish(version, actor=ACTOR, now=after_consultation()).state == VersionState.PUBLISHED


def test_retire_refused_when_already_retired(draft: CatalogVersion) -> None:
    version = to_state(draft, "retired")
    with pytest.raises(Conflict, match="已废止"):
        services.retire(version, actor=ACTOR)


@pytest.mark.parametrize("state", ["draft", "published", "retired"])
def test_return_to_draft_refused_unless_in_consultation(draft: CatalogVersion, state: str) -> None:
    version = to_state(draft, state)
    with pytest.raises(Conflict) as err:
        services.return_to_draft(version, reason="r", actor=ACTOR)
    assert STATE_LABEL[state] in err.value.message


@pytest.mark.parametrize("state", ["consultation", "published", "retired"])
def test_update_refused_unless_draft(draft: CatalogVersion, state: str) -> None:
    version = to_state(draft, state)
    with pytest.raises(Conflict) as err:
        services.update_draft(version, item="新事项", actor=ACTOR)
    assert STATE_LABEL[state] in err.value.message
    assert CatalogVersion.objects.get(pk=version.pk).item == "测试处罚决定"


def test_second_open_version_is_refused(draft: CatalogVersion) -> None:
    with pytest.raises(Conflict, match="第 1 版"):
        services.create_draft_version(draft.entry, **adverse_content(), actor=ACTOR)


def test_consultation_end_date_must_be_after_today(draft: CatalogVersion) -> None:
    with pytest.raises(InvalidInput) as err:
        services.open_consultation(draft, ends_on=T0.date(), actor=ACTOR, now=T0)
    assert err.value.field == "ends_on"


# --- comments (Art. 9) ---

def test_comment_recorded_during_consultation(draft: CatalogVersion) -> None:
    version = consult(draft)
    comment = services.add_comment(version, author_name=" 李四 ", text="字段过多", contact="13800000000",
                                   actor="public", now=T0 + dt.timedelta(days=10))
    assert (comment.author_name, comment.reply) == ("李四", "")
    replied = services.reply_comment(comment, reply="已精简", actor=ACTOR, now=T0)
    assert (replied.reply, replied.replied_at) == ("已精简", T0)
    assert events(version)[-2:] == ["catalog:comment:added", "catalog:comment:replied"]


@pytest.mark.parametrize("state", ["draft", "published", "retired"])
def test_comment_refused_outside_consultation(draft: CatalogVersion, state: str) -> None:
    version = to_state(draft, state)
    with pytest.raises(Conflict) as err:
        services.add_comment(version, author_name="王五", text="意见", actor="public", now=T0)
    assert STATE_LABEL[state] in err.value.message
    assert not ConsultationComment.objects.exists()


def test_comment_refused_after_the_end_date(draft: CatalogVersion) -> None:
    version = consult(draft, days=10)
    with pytest.raises(Conflict, match="截止"):
        services.add_comment(version, author_name="王五", text="意见", actor="public", now=after_consultation())


def test_empty_comment_is_invalid(draft: CatalogVersion) -> None:
    with pytest.raises(InvalidInput) as err:
        services.add_comment(consult(draft), author_name="王五", text="  ", actor="public", now=T0)
    assert err.value.field == "text"


def test_reply_refused_on_a_retired_version(draft: CatalogVersion) -> None:
    version = consult(draft)
    comment = services.add_comment(version, author_name="王五", text="意见", actor="public", now=T0)
    services.retire(version, actor=ACTOR)
    with pytest.raises(Conflict, match="已废止"):
        services.reply_comment(comment, reply="答复", actor=ACTOR)


# --- Art. 37 at definition: nothing is written ---

@pytest.mark.parametrize(("name", "label", "category_zh"), [
    ("religion", "备注", "宗教信仰"),            # by English name
    ("x1", "宗教信仰", "宗教信仰"),              # by Chinese label
    ("faceImage", "图像", "生物识别信息"),
    ("x1", "指纹", "生物识别信息"),
    ("x1", "Fingerprint", "生物识别信息"),       # by English label
    ("gps_track", "记录", "行踪信息"),
    ("x1", "行动轨迹", "行踪信息"),
    ("x1", "Whereabouts", "行踪信息"),
    ("medical_history", "记录", "病史"),
    ("x1", "既往病史", "病史"),
])
def test_prohibited_field_refused_and_nothing_written(entry: CatalogEntry, name: str, label: str,
                                                      category_zh: str) -> None:
    before = (CatalogVersion.objects.count(), CatalogEvent.objects.count())
    fields = [*adverse_content()["fields"], {"name": name, "label": label, "type": "string"}]
    with pytest.raises(InvalidInput) as err:
        services.create_draft_version(entry, **adverse_content(fields=fields), actor=ACTOR)
    assert err.value.field == "fields[3]"
    assert name in err.value.message
    assert category_zh in err.value.message
    assert (CatalogVersion.objects.count(), CatalogEvent.objects.count()) == before


def test_prohibited_field_refused_on_update_too(draft: CatalogVersion) -> None:
    fields = [*adverse_content()["fields"], {"name": "blood", "label": "血型", "type": "string"}]
    with pytest.raises(InvalidInput, match="生物识别信息"):
        services.update_draft(draft, fields=fields, actor=ACTOR)
    assert len(CatalogVersion.objects.get(pk=draft.pk).fields) == 3


def test_property_and_tax_fields_stored_as_consent_required(entry: CatalogEntry) -> None:
    fields = [*adverse_content()["fields"],
              {"name": "house", "label": "房产登记信息", "type": "text"},
              {"name": "tax_paid", "label": "纳税数额（元）", "type": "decimal"}]
    version = services.create_draft_version(entry, **adverse_content(fields=fields), actor=ACTOR)
    stored = {f["name"]: f for f in CatalogVersion.objects.get(pk=version.pk).fields}
    assert (stored["house"]["consent_required"], stored["house"]["consent_category"]) == (True, "property")
    assert (stored["tax_paid"]["consent_required"], stored["tax_paid"]["consent_category"]) == (True, "tax_amount")
    assert stored["decision_no"]["consent_required"] is False


# --- schema errors through the service ---

@pytest.mark.parametrize(("overrides", "where"), [
    ({"fields": [{"name": "uscc", "label": "代码", "type": "code"}]}, "fields[0].type"),
    ({"natural_key": ["missing"]}, "natural_key[0]"),
    ({"decision_date_field": "missing"}, "decision_date_field"),
    ({"subject_kinds": ["legal_person", "robot"]}, "subject_kinds[1]"),
])
def test_invalid_content_names_the_field_and_writes_nothing(entry: CatalogEntry, overrides: dict[str, Any],
                                                            where: str) -> None:
    with pytest.raises(InvalidInput) as err:
        services.create_draft_version(entry, **adverse_content(**overrides), actor=ACTOR)
    assert err.value.field == where
    assert not CatalogVersion.objects.exists()


def test_update_draft_rejects_unknown_keys(draft: CatalogVersion) -> None:
    with pytest.raises(InvalidInput) as err:
        services.update_draft(draft, state="published", actor=ACTOR)
    assert err.value.field == "state"
    assert CatalogVersion.objects.get(pk=draft.pk).state == VersionState.DRAFT


def test_update_draft_logs_only_what_changed(draft: CatalogVersion) -> None:
    services.update_draft(draft, disclosure_months=36, note="缩短", item=draft.item, actor=ACTOR)
    event = CatalogEvent.objects.get(version=draft, event="catalog:version:updated")
    assert event.before == {"disclosure_months": 60, "note": ""}
    assert event.after == {"disclosure_months": 36, "note": "缩短"}
    assert draft.disclosure_months == 36  # the caller's instance is refreshed


def test_actor_is_required(entry: CatalogEntry) -> None:
    with pytest.raises(InvalidInput) as err:
        services.create_draft_version(entry, **adverse_content(), actor=" ")
    assert err.value.field == "actor"


# --- departments and entries ---

def test_department_created_and_updated_with_log(db: None) -> None:
    dept = services.create_department("hz-abc", "杭州市甲局", uscc="91110000600037341L", actor=ACTOR)
    services.update_department(dept, name="杭州市乙局", actor=ACTOR)
    assert Department.objects.get(pk=dept.pk).name == "杭州市乙局"
    assert list(CatalogEvent.objects.filter(department=dept).order_by("id").values_list("event", flat=True)) == [
        "catalog:department:created", "catalog:department:updated"]
    services.update_department(dept, name="杭州市乙局", actor=ACTOR)  # no change, no log row
    assert CatalogEvent.objects.filter(department=dept).count() == 2


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"code": "Hz abc", "name": "甲"}, "code"),
    ({"code": "hz-abc", "name": ""}, "name"),
    ({"code": "hz-abc", "name": "甲", "uscc": "91110000600037341A"}, "uscc"),
    ({"code": "hz-abc", "name": "甲", "district_code": "3301"}, "district_code"),
])
def test_department_input_errors(db: None, kwargs: dict[str, Any], where: str) -> None:
    code, name = kwargs.pop("code"), kwargs.pop("name")
    with pytest.raises(InvalidInput) as err:
        services.create_department(code, name, **kwargs, actor=ACTOR)
    assert err.value.field == where
    assert not Department.objects.exists()


def test_duplicate_codes_conflict(entry: CatalogEntry) -> None:
    with pytest.raises(Conflict):
        services.create_department("HZ-TEST", "重复", actor=ACTOR)
    with pytest.raises(Conflict):
        services.create_entry("test-penalty", "重复", entry.department, "adverse", actor=ACTOR)


def test_department_with_published_entries_cannot_be_deactivated(draft: CatalogVersion) -> None:
    to_state(draft, "published")
    with pytest.raises(Conflict, match="不能停用"):
        services.update_department(draft.entry.department, is_active=False, actor=ACTOR)


def test_inactive_department_gets_no_new_entries(department: Department) -> None:
    services.update_department(department, is_active=False, actor=ACTOR)
    with pytest.raises(Conflict, match="已停用"):
        services.create_entry("new-entry", "新条目", department, "basic", actor=ACTOR)


def test_entry_class_must_be_known(department: Department) -> None:
    with pytest.raises(InvalidInput) as err:
        services.create_entry("new-entry", "新条目", department, "neutral", actor=ACTOR)
    assert err.value.field == "info_class"
