"""Writers for authorisations, the government application list and the query log.

Art. 14, 17, 27, 33, 38, 39 of the draft regulation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from pubcredit.access.models import Authorization, Matter
from pubcredit.audit.services import Insert, insert_with_events, prepare_event, record_event
from pubcredit.catalog.models import CatalogEntry, Department
from pubcredit.errors import Conflict, InvalidInput, NotPermitted
from pubcredit.subjects.models import ORGANIZATION_KINDS, Subject
from pubcredit.textinput import one_line

#: Zhejiang (《浙江省公共信用信息管理条例》): query records are kept at least ten years.
QUERY_LOG_RETENTION_YEARS = 10
#: Longest single authorisation we accept; a subject can always grant again.
MAX_AUTHORIZATION_DAYS = 3 * 366


def _audit(event: str, *, actor: str, object_type: str, object_id: str, subject_id: int | None,
           data: dict[str, object]) -> None:
    """Append to the platform's audit chain, in the caller's transaction (Art. 39)."""
    record_event(event, actor=actor, object_type=object_type, object_id=object_id, subject_id=subject_id,
                 data=data)


@transaction.atomic
def grant_authorization(*, subject: Subject, grantee: Subject, purpose: str, valid_from: date, valid_until: date,
                        actor: str, today: date | None = None) -> Authorization:
    """Art. 14, 17, 38: the subject lets ``grantee`` read its authorised-level information.

    The grantee must be an organisation (a credit agency or another organisation); the period
    must start today or later, end after it starts and last at most three years.
    """
    today = today or timezone.localdate()
    purpose = one_line(purpose, field="purpose")
    if not purpose:
        raise InvalidInput("请填写查询用途", field="purpose")
    if grantee.kind not in ORGANIZATION_KINDS:
        raise InvalidInput("被授权方应为法人或非法人组织（如信用服务机构）", field="grantee")
    if grantee.pk == subject.pk:
        raise InvalidInput("不能授权给自己", field="grantee")
    if valid_from < today:
        raise InvalidInput("生效日期不能早于今天", field="valid_from")
    if valid_until < valid_from:
        raise InvalidInput("截止日期不能早于生效日期", field="valid_until")
    if (valid_until - valid_from).days > MAX_AUTHORIZATION_DAYS:
        raise InvalidInput("单次授权期限不能超过 3 年", field="valid_until")
    auth = Authorization.objects.create(subject=subject, grantee=grantee, purpose=purpose[:200],
                                        valid_from=valid_from, valid_until=valid_until, created_by=actor)
    _audit("access:authorization:granted", actor=actor, object_type="authorization", object_id=str(auth.pk),
           subject_id=subject.pk, data={"grantee": grantee.pk, "purpose": auth.purpose,
                                        "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat()})
    return auth


@transaction.atomic
def revoke_authorization(authorization: Authorization, *, by_subject: Subject, actor: str) -> Authorization:
    """Art. 14: the subject withdraws an authorisation; refused from the next read on."""
    auth = Authorization.objects.select_for_update().get(pk=authorization.pk)
    if auth.subject_id != by_subject.pk:
        raise NotPermitted("只能撤销本主体作出的授权")
    if auth.revoked_at is not None:
        raise Conflict("该授权已撤销")
    auth.revoked_at = timezone.now()
    auth.revoked_by = actor
    auth.save(update_fields=["revoked_at", "revoked_by"])
    _audit("access:authorization:revoked", actor=actor, object_type="authorization", object_id=str(auth.pk),
           subject_id=auth.subject_id, data={})
    return auth


def check_matter(*, name: str, legal_basis: str,
                 entries: Iterable[CatalogEntry]) -> tuple[str, str, list[CatalogEntry]]:
    """Art. 27: what a matter of the government application list must say — a name, its legal
    basis and at least one catalog entry. Returns them cleaned; raises InvalidInput."""
    entries = list(entries)
    if not name.strip():
        raise InvalidInput("请填写办理事项名称", field="name")
    if not legal_basis.strip():
        raise InvalidInput("请填写依据", field="legal_basis")
    if not entries:
        raise InvalidInput("至少选择一个可查询的目录条目", field="entries")
    return name.strip(), legal_basis.strip(), entries


@transaction.atomic
def define_matter(*, department: Department, code: str, name: str, legal_basis: str,
                  entries: Iterable[CatalogEntry], actor: str, published: bool = True) -> Matter:
    """Art. 27: add a matter to the government application list: who may read what, for what."""
    name, legal_basis, entries = check_matter(name=name, legal_basis=legal_basis, entries=entries)
    if Matter.objects.filter(code=code).exists():
        raise Conflict(f"事项编码 {code} 已存在", field="code")
    matter = Matter.objects.create(department=department, code=code, name=name, legal_basis=legal_basis,
                                   published=published)
    matter.entries.set(entries)
    _audit("access:matter:defined", actor=actor, object_type="matter", object_id=code, subject_id=None,
           data={"department": department.code, "entries": sorted(e.code for e in entries),
                 "published": published})
    return matter


def _matter_state(matter: Matter) -> dict[str, object]:
    return {"name": matter.name, "legal_basis": matter.legal_basis, "published": matter.published,
            "entries": sorted(matter.entries.values_list("code", flat=True))}


@transaction.atomic
def update_matter(matter: Matter | int, *, name: str, legal_basis: str, entries: Iterable[CatalogEntry],
                  published: bool, actor: str) -> Matter:
    """Art. 27, 39: change a matter of the government application list — its name, legal basis,
    the catalog entries it may read, whether it is published — checked as ``define_matter``
    checks a new one, with an ``access:matter:updated`` entry holding the old and the new values
    (none when nothing changed). Its department and code stay. Raises InvalidInput."""
    name, legal_basis, entries = check_matter(name=name, legal_basis=legal_basis, entries=entries)
    locked = Matter.objects.select_for_update().select_related("department").get(
        pk=matter.pk if isinstance(matter, Matter) else matter)
    before = _matter_state(locked)
    locked.name, locked.legal_basis, locked.published = name, legal_basis, published
    locked.save(update_fields=["name", "legal_basis", "published"])
    locked.entries.set(entries)
    after = _matter_state(locked)
    changed = sorted(key for key in after if after[key] != before[key])
    if changed:
        _audit("access:matter:updated", actor=actor, object_type="matter", object_id=locked.code, subject_id=None,
               data={"department": locked.department.code, "changed": changed,
                     "old": before, "new": after})
    return locked


_QUERY_LOG_INSERT = (
    "INSERT INTO access_querylog (at, subject_id, reader_kind, reader_name, user_id, department_id, agency_id, "
    "levels, entries, purpose, matter_id, authorization_id, channel) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s::varchar[], %s::varchar[], %s, %s, %s, %s) RETURNING id"
)


def query_log_insert(*, subject_id: int, reader_kind: str, reader_name: str, levels: Iterable[str],
                     entries: Iterable[str], purpose: str, channel: str, user_id: int | None = None,
                     department_id: int | None = None, agency_id: int | None = None, matter_id: int | None = None,
                     authorization_id: int | None = None, actor: str = "") -> Insert:
    """Art. 33, 39: the query log row for one non-public read (kept ten years) and its audit entry, as
    a pending write: ``log_query`` writes it alone, a report issue beside its own row (one statement)."""
    level_list, entry_list, purpose = sorted(set(levels)), sorted(set(entries)), purpose[:200]
    reader_name = reader_name[:200]
    entry = prepare_event("access:query", actor=actor or reader_name, object_type="query_log",
                          subject_id=subject_id,
                          data={"levels": level_list, "entries": entry_list, "purpose": purpose,
                                "matter": matter_id, "authorization": authorization_id, "channel": channel})
    return Insert(_QUERY_LOG_INSERT,
                  [timezone.now(), subject_id, reader_kind, reader_name, user_id, department_id, agency_id,
                   level_list, entry_list, purpose, matter_id, authorization_id, channel],
                  entry, object_id_is_new_id=True)


def log_query(read: Insert) -> int:
    """Art. 33, 39: write a read's query log row (``query_log_insert``) and its audit entry, in one
    statement. Returns the row's id."""
    written = insert_with_events([read])
    assert written is not None  # noqa: S101 - a plain INSERT always returns its row
    return int(written[1][0])
