"""The only writers of the catalog: one atomic function per operation, each logging a CatalogEvent.

Art. 9 (the catalog is compiled with the departments and consulted on publicly), Art. 13 (what
an entry states), Art. 14 (open levels), Art. 36 (repair rules), Art. 37 (field norms). Wrong
workflow steps raise :class:`~pubcredit.errors.Conflict` naming the current state; bad content
raises :class:`~pubcredit.errors.InvalidInput` naming the field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from pubcredit.audit import services as audit_services
from pubcredit.catalog import rules
from pubcredit.catalog.models import (
    CatalogEntry,
    CatalogEvent,
    CatalogVersion,
    ConsultationComment,
    Department,
    VersionState,
)
from pubcredit.errors import Conflict, InvalidInput
from pubcredit.textinput import JSON_TOO_DEEP

INITIAL_CATALOG_PATH = Path(__file__).resolve().parent / "data" / "initial_catalog.json"


# --- helpers ---

def _actor(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 150:
        raise InvalidInput("操作人不能为空，且不超过 150 个字符", field="actor")
    return actor.strip()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def _log(event: str, *, actor: str, department: Department | None = None, entry: CatalogEntry | None = None,
         version: CatalogVersion | None = None, before: Mapping[str, Any] | None = None,
         after: Mapping[str, Any] | None = None, reason: str = "") -> None:
    CatalogEvent.objects.create(
        event=event, actor=actor, department=department, entry=entry, version=version,
        before=dict(before or {}), after=dict(after or {}), reason=reason,
    )
    # The audit chain gets the same event, in the same transaction (rolled back together).
    target = version or entry or department
    audit_services.record_event(
        event, actor=actor, object_id=str(target.pk) if target else "",
        object_type=("catalog_version" if version else "catalog_entry" if entry
                     else "catalog_department" if department else ""),
        data={"department": department.code if department else None, "entry": entry.code if entry else None,
              "version": version.number if version else None, "before": dict(before or {}),
              "after": dict(after or {}), "reason": reason},
    )


def _name(version: CatalogVersion) -> str:
    return f"目录条目 {version.entry.code} 第 {version.number} 版"


def _refuse(version: CatalogVersion, action: str, extra: str = "") -> Conflict:
    return Conflict(f"{_name(version)}当前状态为「{rules.state_label(version.state)}」，不能{action}{extra}")


def _lock(version: CatalogVersion) -> CatalogVersion:
    return CatalogVersion.objects.select_for_update().select_related("entry").get(pk=version.pk)


def _sync(version: CatalogVersion) -> CatalogVersion:
    """Reload the caller's instance after the locked copy was saved, so it is not left stale."""
    version.refresh_from_db()
    return version


def version_content(version: CatalogVersion) -> dict[str, Any]:
    """The content of a version, in the shape :func:`rules.validate_version_content` returns."""
    return {
        "item": version.item,
        "subject_kinds": list(version.subject_kinds),
        "open_level": version.open_level,
        "frequency": version.frequency,
        "fields": version.fields,
        "natural_key": list(version.natural_key),
        "decision_date_field": version.decision_date_field,
        "legal_basis": version.legal_basis,
        "domain": version.domain,
        "disclosure_months": version.disclosure_months,
        "repair_rules": version.repair_rules,
        "submission_lag_workdays": version.submission_lag_workdays,
        "note": version.note,
        "subject_fields": version.subject_fields,
    }


def _department_values(*, name: object, uscc: object, district_code: object) -> dict[str, str]:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
        raise InvalidInput("部门名称不能为空，且不超过 200 个字符", field="name")
    return {"name": name.strip(), "uscc": rules.check_uscc(uscc), "district_code": rules.check_district(district_code)}


# --- departments ---

@transaction.atomic
def create_department(code: str, name: str, *, uscc: str = "", district_code: str = "330100",
                      actor: str) -> Department:
    """Register a public-credit-related unit that provides catalog items (Art. 6, 13).

    Raises InvalidInput for a bad code, name, USCC or district; Conflict if the code is taken.
    """
    who = _actor(actor)
    rules.check_code(code)
    values = _department_values(name=name, uscc=uscc, district_code=district_code)
    if Department.objects.filter(code__iexact=code).exists():
        raise Conflict(f"部门编码 {code} 已存在")
    department = Department.objects.create(code=code, **values)
    _log("catalog:department:created", actor=who, department=department, after={"code": code, **values})
    return department


@transaction.atomic
def update_department(department: Department, *, name: str | None = None, uscc: str | None = None,
                      district_code: str | None = None, is_active: bool | None = None,
                      actor: str) -> Department:
    """Change a department's name, USCC, district or active flag (Art. 13: the provider of entries).

    A department with published entries cannot be deactivated (its entries would have no
    provider); retire the entries first. Raises InvalidInput or Conflict.
    """
    who = _actor(actor)
    locked = Department.objects.select_for_update().get(pk=department.pk)
    values = _department_values(
        name=locked.name if name is None else name,
        uscc=locked.uscc if uscc is None else uscc,
        district_code=locked.district_code if district_code is None else district_code,
    )
    new: dict[str, Any] = dict(values)
    if is_active is not None:
        if not isinstance(is_active, bool):
            raise InvalidInput("应为 true 或 false", field="is_active")
        new["is_active"] = is_active
        if not is_active and CatalogVersion.objects.filter(entry__department=locked,
                                                           state=VersionState.PUBLISHED).exists():
            raise Conflict(f"部门 {locked.code} 仍提供已发布的目录条目，不能停用")
    before = {k: getattr(locked, k) for k in new if getattr(locked, k) != new[k]}
    if before:
        for key, value in new.items():
            setattr(locked, key, value)
        locked.save(update_fields=[*new.keys()])
        _log("catalog:department:updated", actor=who, department=locked, before=before,
             after={k: new[k] for k in before})
    department.refresh_from_db()
    return department


# --- entries and versions ---

@transaction.atomic
def create_entry(code: str, name: str, department: Department, info_class: str, *, actor: str) -> CatalogEntry:
    """Create a catalog entry: the stable identity of one collected item (Art. 9, 13).

    The entry has no content until a version is drafted. Raises InvalidInput for a bad code,
    name or class; Conflict if the code is taken or the department is inactive.
    """
    who = _actor(actor)
    rules.check_code(code)
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
        raise InvalidInput("信息项名称不能为空，且不超过 200 个字符", field="name")
    if info_class not in rules.INFO_CLASSES:
        raise InvalidInput("信息类别应为 basic、adverse、trustworthy 之一", field="info_class")
    if not department.is_active:
        raise Conflict(f"部门 {department.code} 已停用，不能新增目录条目")
    if CatalogEntry.objects.filter(code__iexact=code).exists():
        raise Conflict(f"目录编码 {code} 已存在")
    entry = CatalogEntry.objects.create(code=code, name=name.strip(), department=department, info_class=info_class)
    _log("catalog:entry:created", actor=who, entry=entry, department=department,
         after={"code": code, "name": entry.name, "department": department.code, "info_class": info_class})
    return entry


@transaction.atomic
def create_draft_version(
    entry: CatalogEntry, *, item: str, subject_kinds: list[str], open_level: str, frequency: str,
    fields: list[dict[str, Any]], natural_key: list[str], decision_date_field: str = "", legal_basis: str,
    domain: str = "", disclosure_months: int | None = None, repair_rules: dict[str, Any] | None = None,
    submission_lag_workdays: int | None = None, note: str = "", subject_fields: dict[str, str] | None = None,
    actor: str,
) -> CatalogVersion:
    """Draft the next version of an entry's content (Art. 9, 13, 14, 36, 37).

    The content is validated as a whole by :func:`rules.validate_version_content`: field
    schema, Art. 37 refusals (religion, biometrics, whereabouts, disease history) and consent
    marking, subject kinds, natural key and decision-date fields present and required, repair
    rules for adverse entries. Raises InvalidInput naming the field (nothing is written), or
    Conflict if the entry already has a draft or a version out for consultation.
    """
    who = _actor(actor)
    content = rules.validate_version_content(
        info_class=entry.info_class, item=item, subject_kinds=subject_kinds, open_level=open_level,
        frequency=frequency, fields=fields, natural_key=natural_key, decision_date_field=decision_date_field,
        legal_basis=legal_basis, domain=domain, disclosure_months=disclosure_months, repair_rules=repair_rules,
        submission_lag_workdays=submission_lag_workdays, note=note, subject_fields=subject_fields,
    )
    locked = CatalogEntry.objects.select_for_update().get(pk=entry.pk)
    open_version = locked.versions.filter(state__in=rules.OPEN_STATES).first()
    if open_version is not None:
        raise Conflict(f"目录条目 {locked.code} 已有第 {open_version.number} 版处于"
                       f"「{rules.state_label(open_version.state)}」状态，请在该版本上修改")
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = CatalogVersion.objects.create(entry=locked, number=number, state=VersionState.DRAFT, **content)
    _log("catalog:version:drafted", actor=who, entry=locked, version=version, after={"number": number, **content})
    return version


@transaction.atomic
def update_draft(version: CatalogVersion, *, actor: str, **changes: Any) -> CatalogVersion:
    """Change the content of a draft version; only drafts can change (Art. 9).

    ``changes`` are content keywords of :func:`create_draft_version`. The merged content is
    validated again as a whole. Raises InvalidInput for an unknown key or bad content,
    Conflict if the version is no longer a draft.
    """
    who = _actor(actor)
    for key in changes:
        if key not in rules.CONTENT_KEYS:
            raise InvalidInput(f"不能修改 {key}", field=key)
    locked = _lock(version)
    if locked.state != VersionState.DRAFT:
        raise _refuse(locked, "修改内容", "（只有草稿可以修改）")
    current = version_content(locked)
    content = rules.validate_version_content(info_class=locked.entry.info_class, **{**current, **changes})
    changed = [k for k in rules.CONTENT_KEYS if content[k] != current[k]]
    if changed:
        for key in changed:
            setattr(locked, key, content[key])
        locked.save(update_fields=changed)
        _log("catalog:version:updated", actor=who, entry=locked.entry, version=locked,
             before={k: current[k] for k in changed}, after={k: content[k] for k in changed})
    return _sync(version)


@transaction.atomic
def open_consultation(version: CatalogVersion, *, ends_on: dt.date, actor: str,
                      now: dt.datetime | None = None) -> CatalogVersion:
    """Put a draft out for public consultation until ``ends_on`` (Art. 9: 向社会公开征求意见).

    Raises InvalidInput if ``ends_on`` is not after today, Conflict unless the version is a
    draft.
    """
    who = _actor(actor)
    moment = _now(now)
    if not isinstance(ends_on, dt.date) or isinstance(ends_on, dt.datetime):
        raise InvalidInput("征求意见截止日期应为日期", field="ends_on")
    if ends_on <= timezone.localdate(moment):
        raise InvalidInput("征求意见截止日期应晚于今天", field="ends_on")
    locked = _lock(version)
    if not rules.can_transition(locked.state, rules.CONSULTATION):
        raise _refuse(locked, "开始征求意见", "（只有草稿可以征求意见）")
    locked.state = VersionState.CONSULTATION
    locked.consultation_started_at = moment
    locked.consultation_ends_on = ends_on
    locked.save(update_fields=["state", "consultation_started_at", "consultation_ends_on"])
    _log("catalog:version:consultation_opened", actor=who, entry=locked.entry, version=locked,
         before={"state": rules.DRAFT}, after={"state": rules.CONSULTATION, "ends_on": ends_on.isoformat()})
    return _sync(version)


@transaction.atomic
def return_to_draft(version: CatalogVersion, *, reason: str, actor: str) -> CatalogVersion:
    """Take a version back from consultation to revise it after the comments (Art. 9).

    The revised draft has to be consulted on again before it is published. Raises
    InvalidInput without a reason, Conflict unless the version is in consultation.
    """
    who = _actor(actor)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("请说明退回修改的理由", field="reason")
    locked = _lock(version)
    if not rules.can_transition(locked.state, rules.DRAFT):
        raise _refuse(locked, "退回草稿", "（只有征求意见中的版本可以退回）")
    locked.state = VersionState.DRAFT
    locked.save(update_fields=["state"])
    _log("catalog:version:returned_to_draft", actor=who, entry=locked.entry, version=locked,
         before={"state": rules.CONSULTATION}, after={"state": rules.DRAFT}, reason=reason.strip())
    return _sync(version)


def _comment_text(value: object, where: str, max_len: int, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput("不能为空", field=where)
    if len(value.strip()) > max_len:
        raise InvalidInput(f"不能超过 {max_len} 个字符", field=where)
    return value.strip()


@transaction.atomic
def add_comment(version: CatalogVersion, *, author_name: str, text: str, contact: str = "", actor: str,
                now: dt.datetime | None = None) -> ConsultationComment:
    """Record a public comment on a version while it is out for consultation (Art. 9).

    Raises InvalidInput for empty name or text; Conflict unless the version is in consultation
    and its end date has not passed.
    """
    who = _actor(actor)
    values = {"author_name": _comment_text(author_name, "author_name", 100),
              "text": _comment_text(text, "text", 5000),
              "contact": _comment_text(contact, "contact", 100, required=False)}
    locked = _lock(version)
    if locked.state != VersionState.CONSULTATION:
        raise _refuse(locked, "提交意见", "（只在征求意见期间接受意见）")
    ends_on = locked.consultation_ends_on
    if ends_on is not None and timezone.localdate(_now(now)) > ends_on:
        raise Conflict(f"{_name(locked)}的征求意见已于 {ends_on.isoformat()} 截止")
    comment = ConsultationComment.objects.create(version=locked, **values)
    _log("catalog:comment:added", actor=who, entry=locked.entry, version=locked,
         after={"comment": comment.pk, "author_name": values["author_name"]})
    return comment


@transaction.atomic
def reply_comment(comment: ConsultationComment, *, reply: str, actor: str,
                  now: dt.datetime | None = None) -> ConsultationComment:
    """Answer a consultation comment; every comment is answered before publication (Art. 9).

    A reply may be revised until the version is retired. Raises InvalidInput for an empty
    reply, Conflict if the version is retired.
    """
    who = _actor(actor)
    text = _comment_text(reply, "reply", 5000)
    locked = ConsultationComment.objects.select_for_update().select_related("version__entry").get(pk=comment.pk)
    if locked.version.state == VersionState.RETIRED:
        raise _refuse(locked.version, "答复意见")
    before = locked.reply
    locked.reply = text
    locked.replied_at = _now(now)
    locked.save(update_fields=["reply", "replied_at"])
    _log("catalog:comment:replied", actor=who, entry=locked.version.entry, version=locked.version,
         before={"comment": locked.pk, "reply": before}, after={"comment": locked.pk, "reply": text})
    comment.refresh_from_db()
    return comment


@transaction.atomic
def publish(version: CatalogVersion, *, actor: str, skip_consultation_reason: str = "",
            now: dt.datetime | None = None) -> CatalogVersion:
    """Publish a version; the entry's previously published version is retired with it (Art. 9).

    From consultation: only after the consultation end date and once every comment has a
    reply. From draft: refused unless ``skip_consultation_reason`` is given — used only when
    loading the initial catalog, and the reason is recorded on the version and in the log.
    Raises Conflict naming the current state otherwise.
    """
    who = _actor(actor)
    moment = _now(now)
    reason = skip_consultation_reason.strip() if isinstance(skip_consultation_reason, str) else ""
    entry = CatalogEntry.objects.select_for_update().get(pk=version.entry_id)
    locked = _lock(version)
    if locked.state == VersionState.DRAFT:
        if not reason:
            raise _refuse(locked, "直接发布", "（第九条要求发布前向社会公开征求意见）")
    elif locked.state == VersionState.CONSULTATION:
        ends_on = locked.consultation_ends_on
        if ends_on is not None and timezone.localdate(moment) <= ends_on:
            raise Conflict(f"{_name(locked)}的征求意见期至 {ends_on.isoformat()} 结束，期满后才能发布")
        unanswered = locked.comments.filter(reply="").count()
        if unanswered:
            raise Conflict(f"{_name(locked)}尚有 {unanswered} 条意见未答复，答复后才能发布")
        reason = ""
    else:
        raise _refuse(locked, "发布")
    previous = entry.versions.select_for_update().filter(state=VersionState.PUBLISHED).first()
    if previous is not None:
        previous.state = VersionState.RETIRED
        previous.retired_at = moment
        previous.save(update_fields=["state", "retired_at"])
        _log("catalog:version:retired", actor=who, entry=entry, version=previous,
             before={"state": rules.PUBLISHED}, after={"state": rules.RETIRED, "superseded_by": locked.number},
             reason=f"被第 {locked.number} 版取代")
    before_state = locked.state
    locked.state = VersionState.PUBLISHED
    locked.published_at = moment
    locked.consultation_skipped_reason = reason
    locked.save(update_fields=["state", "published_at", "consultation_skipped_reason"])
    _log("catalog:version:published", actor=who, entry=entry, version=locked,
         before={"state": before_state}, after={"state": rules.PUBLISHED}, reason=reason)
    return _sync(version)


@transaction.atomic
def retire(version: CatalogVersion, *, actor: str, reason: str = "", now: dt.datetime | None = None) -> CatalogVersion:
    """Retire a version: withdraw a draft or consultation, or stop a published version (Art. 9).

    Records already collected under it keep pointing at it. Raises Conflict if it is already
    retired.
    """
    who = _actor(actor)
    locked = _lock(version)
    if not rules.can_transition(locked.state, rules.RETIRED):
        raise _refuse(locked, "废止")
    before_state = locked.state
    locked.state = VersionState.RETIRED
    locked.retired_at = _now(now)
    locked.save(update_fields=["state", "retired_at"])
    _log("catalog:version:retired", actor=who, entry=locked.entry, version=locked,
         before={"state": before_state}, after={"state": rules.RETIRED},
         reason=reason.strip() if isinstance(reason, str) else "")
    return _sync(version)


# --- the initial catalog ---

@dataclass
class LoadReport:
    """What :func:`load_initial_catalog` did; a second run of the same file reports only unchanged."""

    departments_created: int = 0
    departments_updated: int = 0
    departments_unchanged: int = 0
    entries_created: int = 0
    entries_drafted: int = 0
    entries_unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.departments_created or self.departments_updated or self.entries_created
                    or self.entries_drafted)

    def __str__(self) -> str:
        return (f"departments: created {self.departments_created}, updated {self.departments_updated}, "
                f"unchanged {self.departments_unchanged}; entries: created {self.entries_created}, "
                f"drafted {self.entries_drafted}, unchanged {self.entries_unchanged}")


def read_catalog_file(path: Path | str | None = None) -> rules.CatalogDocument:
    """Read and validate a catalog file without writing anything. Raises InvalidInput (one line)."""
    file = Path(path) if path is not None else INITIAL_CATALOG_PATH
    try:
        raw = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidInput(f"目录文件 {file} 不存在") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"目录文件 {file} 无法读取（{exc.__class__.__name__}）") from exc
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"目录文件 {file.name} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，"
                           f"{exc.msg}") from exc
    except RecursionError:
        raise InvalidInput(f"目录文件 {file.name} 不是有效的 JSON：{JSON_TOO_DEEP}") from None
    return rules.parse_catalog_document(doc)


@transaction.atomic
def load_initial_catalog(path: Path | str | None = None, *, actor: str) -> LoadReport:
    """Load the catalog file (default: the shipped initial catalog) — all or nothing (Art. 9–14).

    The whole file is validated first, with the same rules as a single draft. New entries are
    created and published at once, recording the file's ``skip_consultation_reason`` (the
    initial catalog is consulted on as one document, outside the platform). An entry whose
    content differs from its published version gets a new *draft*, which then goes through
    consultation; an identical entry is left alone, so a second run changes nothing.
    Raises InvalidInput for a malformed file, Conflict if the file contradicts the database
    (an entry's name, class or provider changed, or a draft or consultation version of the
    entry differs from the file: work in progress is never overwritten from a file).
    """
    who = _actor(actor)
    document = read_catalog_file(path)
    report = LoadReport()
    departments: dict[str, Department] = {}
    for dept in document.departments:
        existing = Department.objects.filter(code=dept["code"]).first()
        if existing is None:
            departments[dept["code"]] = create_department(dept["code"], dept["name"], uscc=dept["uscc"],
                                                          district_code=dept["district_code"], actor=who)
            report.departments_created += 1
        elif (existing.name, existing.uscc, existing.district_code) != (
                dept["name"], dept["uscc"], dept["district_code"]):
            # is_active is the operator's decision; the file does not override it.
            departments[dept["code"]] = update_department(existing, name=dept["name"], uscc=dept["uscc"],
                                                          district_code=dept["district_code"], actor=who)
            report.departments_updated += 1
        else:
            departments[dept["code"]] = existing
            report.departments_unchanged += 1
    for spec in document.entries:
        department = departments[spec["department"]]
        content = spec["content"]
        entry = CatalogEntry.objects.filter(code=spec["code"]).select_related("department").first()
        if entry is None:
            entry = create_entry(spec["code"], spec["name"], department, spec["info_class"], actor=who)
            version = create_draft_version(entry, **content, actor=who)
            publish(version, actor=who, skip_consultation_reason=document.skip_consultation_reason)
            report.entries_created += 1
            continue
        if (entry.name, entry.department.code, entry.info_class) != (spec["name"], spec["department"],
                                                                     spec["info_class"]):
            raise Conflict(f"目录条目 {entry.code} 的名称、提供单位或信息类别与数据库不一致，不能通过文件修改")
        published = entry.versions.filter(state=VersionState.PUBLISHED).first()
        pending = entry.versions.filter(state__in=rules.OPEN_STATES).first()
        same_as = [v for v in (published, pending) if v is not None and version_content(v) == content]
        if same_as:
            report.entries_unchanged += 1
        elif pending is None:
            create_draft_version(entry, **content, actor=who)
            report.entries_drafted += 1
        else:
            # Never overwrite work in progress from a file: the operator settles the open version first.
            raise _refuse(pending, "用文件中的不同内容覆盖")
    return report
