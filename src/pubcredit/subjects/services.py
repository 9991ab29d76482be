"""Writers for subjects and their relations (Art. 3, 10, 26). Nothing else saves these rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pubcredit.codes import CodeError, mask_resident_id, validate_resident_id, validate_uscc
from pubcredit.errors import Conflict, InvalidInput
from pubcredit.subjects import pii, signals
from pubcredit.subjects.models import (
    ORGANIZATION_KINDS,
    PERSON_ROLES,
    NameChange,
    RelationRole,
    Subject,
    SubjectKind,
    SubjectRelation,
)
from pubcredit.textinput import one_line, storable

NAME_MAX = 200


def _audit(event: str, *, actor: str, subject: Subject | None = None, data: dict[str, Any]) -> None:
    """Art. 38, 39: every change of a subject in the audit log, in the caller's transaction. A person's
    name and ID number appear only masked."""
    from pubcredit.audit.services import record_event

    record_event(event, actor=actor or "system", object_type="subject" if subject is not None else "subjects",
                 object_id=str(subject.pk) if subject is not None else "", subject_id=subject.pk if subject else None,
                 data=data)


def _shown_name(subject: Subject, name: str) -> str:
    from pubcredit.codes.masking import mask_name

    return mask_name(name) if subject.kind == SubjectKind.NATURAL_PERSON else name


def _identity(subject: Subject) -> dict[str, Any]:
    return {"kind": subject.kind, "name": _shown_name(subject, subject.name),
            "code": subject.uscc or subject.resident_id_masked, "verified": subject.verified, "source": subject.source}


def _clean_name(name: str, field: str = "name") -> str:
    cleaned = one_line(name, field=field)
    if not cleaned:
        raise InvalidInput("名称不能为空", field=field)
    if len(cleaned) > NAME_MAX:
        raise InvalidInput(f"名称过长（{len(cleaned)} 字，最多 {NAME_MAX} 字）", field=field)
    return cleaned


def check_uscc(code: str, field: str = "uscc") -> str:
    """Validate a USCC (GB 32100-2015) and return it normalised; InvalidInput names the problem."""
    try:
        return validate_uscc(code).code
    except CodeError as exc:
        raise InvalidInput(str(exc), field=field) from exc


def check_resident_id(code: str, field: str = "resident_id") -> str:
    """Validate a resident ID number (GB 11643-1999) and return it normalised."""
    try:
        return validate_resident_id(code, today=timezone.localdate()).code
    except CodeError as exc:
        raise InvalidInput(str(exc), field=field) from exc


@transaction.atomic
def register_organization(*, kind: str, name: str, uscc: str, verified: bool = True, source: str = "",
                          actor: str) -> Subject:
    """Register a legal person or unincorporated organisation under its USCC (Art. 3, 10).

    Raises InvalidInput for a wrong kind, name or code, Conflict if the code is registered.
    """
    if kind not in ORGANIZATION_KINDS:
        raise InvalidInput(f"组织的主体类别应为法人或非法人组织，不能是 {kind}", field="kind")
    info = check_uscc(uscc)
    if Subject.objects.filter(uscc=info).exists():
        raise Conflict(f"统一社会信用代码 {info} 已登记", field="uscc")
    # Not racy in effect: the unique constraint on uscc backs this check.
    subject = Subject.objects.create(
        kind=kind, name=_clean_name(name), uscc=info, region_code=info[2:8],
        verified=verified, source=source or actor,
    )
    _audit("subjects:subject:registered", actor=actor, subject=subject, data=_identity(subject))
    return subject


@transaction.atomic
def register_person(*, name: str, resident_id: str, verified: bool = True, source: str = "",
                    actor: str) -> Subject:
    """Register a natural person (Art. 3, 10). The ID is stored encrypted, found by keyed hash.

    Raises InvalidInput for a wrong name or ID number, Conflict if the person is registered.
    """
    code = check_resident_id(resident_id)
    key = pii.resident_id_hash(code)
    if Subject.objects.filter(resident_id_hash=key).exists():
        raise Conflict("该身份证号码对应的自然人已登记", field="resident_id")
    try:
        with transaction.atomic():
            subject = Subject.objects.create(
                kind=SubjectKind.NATURAL_PERSON, name=_clean_name(name), resident_id_hash=key,
                resident_id_enc=pii.encrypt_resident_id(code), resident_id_masked=mask_resident_id(code),
                region_code=code[:6], verified=verified, source=source or actor,
            )
    except IntegrityError as exc:  # a concurrent registration of the same person
        raise Conflict("该身份证号码对应的自然人已登记", field="resident_id") from exc
    _audit("subjects:subject:registered", actor=actor, subject=subject, data=_identity(subject))
    return subject


def check_relation(*, organization: Subject, related: Subject, role: str) -> None:
    """Raise InvalidInput unless ``role`` fits the two subjects' kinds (Art. 10, 26)."""
    if role not in RelationRole.values:
        raise InvalidInput(f"未知的关系类型 {role}", field="role")
    if organization.kind not in ORGANIZATION_KINDS:
        raise InvalidInput("关系的一方必须是法人或非法人组织", field="organization")
    if role in PERSON_ROLES and related.kind != SubjectKind.NATURAL_PERSON:
        raise InvalidInput(f"“{RelationRole(role).label}”必须是自然人", field="related")
    if role == RelationRole.BRANCH and related.kind not in ORGANIZATION_KINDS:
        raise InvalidInput("分支机构必须是法人或非法人组织", field="related")
    if organization.pk == related.pk:
        raise InvalidInput("主体不能与自身建立关系", field="related")


@transaction.atomic
def relate(*, organization: Subject, related: Subject, role: str, since: date | None = None,
           source: str = "", actor: str) -> SubjectRelation:
    """Record an organisation↔person relation (Art. 10, 26) or organisation↔branch relation.

    Person roles (legal representative, principal, actual controller, directly responsible
    person, director, supervisor, manager) need a natural person; ``branch`` needs an
    organisation. Returns the existing relation if it is already recorded.
    """
    check_relation(organization=organization, related=related, role=role)
    relation, created = SubjectRelation.objects.get_or_create(
        organization=organization, related=related, role=role,
        defaults={"since": since, "source": source or actor},
    )
    if created:
        _audit("subjects:relation:recorded", actor=actor, subject=organization,
               data={"relation": relation.pk, "role": role, "related": related.pk,
                     "related_name": _shown_name(related, related.name), "source": source or actor})
    return relation


@transaction.atomic
def relate_many(links: Iterable[tuple[Subject, Subject, str]], *, source: str = "",
                actor: str) -> dict[tuple[int, int, str], tuple[int, bool]]:
    """Record many relations at once, as :func:`relate` records one (kinds checked the same way).

    Existing relations are kept as they are (an ended one stays ended: reopening is the caller's
    decision, :func:`set_relation_ends`). Returns ``(organization id, related id, role) ->
    (relation id, ended)`` for every link given. Two statements, whatever the number of links.
    """
    wanted: dict[tuple[int, int, str], None] = {}
    for organization, related, role in links:
        check_relation(organization=organization, related=related, role=role)
        wanted.setdefault((organization.pk, related.pk, role), None)
    if not wanted:
        return {}
    label = (source or actor)[:100]
    SubjectRelation.objects.bulk_create(
        [SubjectRelation(organization_id=o, related_id=r, role=k, source=label) for o, r, k in wanted],
        ignore_conflicts=True, batch_size=5000)
    orgs, related_ids, roles = (list(column) for column in zip(*wanted, strict=True))
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT r.organization_id, r.related_id, r.role, r.id, r.until IS NOT NULL
                FROM {SubjectRelation._meta.db_table} r
                JOIN unnest(%s::bigint[], %s::bigint[], %s::text[]) AS t(o, p, k)
                  ON r.organization_id = t.o AND r.related_id = t.p AND r.role = t.k""",
            [orgs, related_ids, roles])
        found = {(int(o), int(p), str(k)): (int(i), bool(ended)) for o, p, k, i, ended in cur.fetchall()}
    _audit("subjects:relation:recorded_in_bulk", actor=actor,
           data={"links": len(wanted), "source": label,
                 "relations": sorted(i for i, _ in found.values())[:1000]})
    return found


@transaction.atomic
def set_relation_ends(*, ending: Iterable[int] = (), on: date | None = None,
                      reopening: Iterable[int] = ()) -> tuple[list[int], list[int]]:
    """End current relations on ``on`` (default today) and reopen ended ones (``until`` cleared).

    A relation ends when the record that named it is corrected or revoked, or when a later
    holder of a role held by one person replaces it (collection decides which, and audits what
    changed). Returns the ids (ended, reopened), ascending; relations already in the asked state
    are left alone and not returned. At most two statements.
    """
    day = on or timezone.localdate()
    end, reopen = sorted(set(ending)), sorted(set(reopening) - set(ending))
    table = SubjectRelation._meta.db_table
    ended: list[int] = []
    reopened: list[int] = []
    with connection.cursor() as cur:
        if end:
            cur.execute(f"UPDATE {table} SET until = %s WHERE id = ANY(%s) AND until IS NULL RETURNING id",
                        [day, end])
            ended = sorted(int(i) for (i,) in cur.fetchall())
        if reopen:
            cur.execute(f"UPDATE {table} SET until = NULL WHERE id = ANY(%s) AND until IS NOT NULL RETURNING id",
                        [reopen])
            reopened = sorted(int(i) for (i,) in cur.fetchall())
    return ended, reopened


@transaction.atomic
def rename(subject: Subject, new_name: str, *, source: str = "", actor: str) -> Subject:
    """Change a subject's name, keeping the old one (records under it still match)."""
    cleaned = _clean_name(new_name)
    if cleaned == subject.name:
        return subject
    old_name = subject.name
    NameChange.objects.create(subject=subject, old_name=old_name, new_name=cleaned, source=source or actor)
    subject.name = cleaned
    subject.save(update_fields=["name", "updated_at"])
    _audit("subjects:subject:renamed", actor=actor, subject=subject,
           data={"before": _shown_name(subject, old_name), "after": _shown_name(subject, cleaned),
                 "source": source or actor})
    # e.g. collection closes the subject's open name reviews: the name has been decided.
    signals.subject_renamed.send(sender=Subject, subject=subject, old_name=old_name, new_name=cleaned, actor=actor)
    return subject


@transaction.atomic
def mark_verified(subject: Subject, *, actor: str) -> Subject:
    """Confirm a subject first created from an unverified source (e.g. a submitted record)."""
    if not subject.verified:
        subject.verified = True
        subject.source = f"{subject.source}; verified by {actor}"[:100]
        subject.save(update_fields=["verified", "source", "updated_at"])
        _audit("subjects:subject:verified", actor=actor, subject=subject, data={"before": False, "after": True})
    return subject


#: Rows per INSERT of :func:`bulk_register_unverified` (arrays bound as parameters).
BULK_CHUNK = 20_000


@transaction.atomic
def bulk_register_unverified(*, organizations: Iterable[tuple[str, str, str]] = (),
                             persons: Iterable[tuple[str, str]] = (), source: str, actor: str,
                             codes_checked: bool = False) -> int:
    """Register, in bulk, subjects first named by a submitted record, as unverified (Art. 3, 13).

    ``organizations`` are ``(kind, uscc, name)``, ``persons`` are ``(resident_id, name)``; each
    code is validated, and a person's ID is hashed, encrypted and masked exactly as
    :func:`register_person` does. Codes already registered are left as they are (a name that
    differs is the caller's to flag for review, never silently renamed). One INSERT per
    20 000 subjects. ``codes_checked=True`` skips re-validating codes the caller has just
    validated with ``pubcredit.codes`` (the collection row validator), in normalised form.
    Returns the number of subjects created. Raises InvalidInput for a wrong kind or code.
    """
    now = timezone.now()
    label = (source or actor)[:100]
    created = 0
    table = Subject._meta.db_table
    columns = ("public_ref, kind, name, uscc, resident_id_hash, resident_id_enc, resident_id_masked, region_code, "
               "verified, source, created_at, updated_at")

    def name_of(name: str, code: str) -> str:
        cleaned = " ".join(storable(name or "").split())[:NAME_MAX]
        return cleaned or f"未具名主体（{code}）"

    def flush(sql: str, params: list[Any]) -> int:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return max(int(cur.rowcount), 0)

    # Columns travel as one text each, a value per line, split by PostgreSQL: quoting four arrays of
    # 20,000 elements each in Python cost ≈ 7 % of a large batch's database thread. No value can
    # hold a line break: names are collapsed to single spaces (``name_of``), codes are checked.
    def lines(column: Iterable[str]) -> str:
        return "\n".join(column)

    batch: list[tuple[str, str, str, str]] = []
    org_sql = (f"INSERT INTO {table} ({columns}) SELECT gen_random_uuid(), t.k, t.n, t.u, NULL, NULL, '', t.r, "
               "false, %s, %s, %s FROM unnest(string_to_array(%s, E'\\n'), string_to_array(%s, E'\\n'), "
               "string_to_array(%s, E'\\n'), string_to_array(%s, E'\\n')) AS t(k, n, u, r) ON CONFLICT DO NOTHING")
    for kind, uscc, name in organizations:
        if kind not in ORGANIZATION_KINDS:
            raise InvalidInput(f"组织的主体类别应为法人或非法人组织，不能是 {kind}", field="kind")
        code = uscc if codes_checked else check_uscc(uscc)
        batch.append((kind, name_of(name, code), code, code[2:8]))
        if len(batch) >= BULK_CHUNK:
            created += flush(org_sql, [label, now, now, *map(lines, zip(*batch, strict=True))])
            batch = []
    if batch:
        created += flush(org_sql, [label, now, now, *map(lines, zip(*batch, strict=True))])

    person_sql = (f"INSERT INTO {table} ({columns}) SELECT gen_random_uuid(), %s, t.n, NULL, t.h, t.e, t.m, t.r, "
                  "false, %s, %s, %s FROM unnest(%s::text[], %s::text[], %s::bytea[], %s::text[], %s::text[]) "
                  "AS t(n, h, e, m, r) ON CONFLICT DO NOTHING")
    people: list[tuple[str, str, bytes, str, str]] = []
    for resident_id, name in persons:
        code = resident_id if codes_checked else check_resident_id(resident_id)
        masked = mask_resident_id(code)
        people.append((name_of(name, masked), pii.resident_id_hash(code), pii.encrypt_resident_id(code), masked,
                       code[:6]))
        if len(people) >= BULK_CHUNK:
            created += flush(person_sql, [SubjectKind.NATURAL_PERSON.value, label, now, now,
                                          *map(list, zip(*people, strict=True))])
            people = []
    if people:
        created += flush(person_sql, [SubjectKind.NATURAL_PERSON.value, label, now, now,
                                      *map(list, zip(*people, strict=True))])
    if created:
        # One entry per call, not per subject (a batch may name 200,000 new ones): the rows carry
        # ``source`` (the batch) and their creation time, which this entry names.
        _audit("subjects:subject:registered_in_bulk", actor=actor,
               data={"created": created, "source": label, "at": now.isoformat(), "verified": False})
    return created
