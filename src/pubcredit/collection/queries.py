"""Reads of credit records, always for given open levels (decided by access.readers)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet

from pubcredit import prepared
from pubcredit.access.readers import Reader
from pubcredit.codes import mask_name, mask_resident_id
from pubcredit.collection.models import Batch, BatchRejection, Record, RecordStatus
from pubcredit.errors import InvalidInput, NotFound

CLASS_ORDER = ("basic", "adverse", "trustworthy")


#: One shown field of a record: (name, label, value). Plain triples, cheap to make by the thousand (a
#: report of a few dozen records shows hundreds of fields) and used as such by the report's items.
ShownField = tuple[str, str, str]


@dataclass(frozen=True)
class RecordView:
    id: int
    entry_code: str
    entry_name: str
    info_class: str
    open_level: str
    source: str
    department: str
    decision_date: date | None
    disclosure_until: date | None
    version: int
    fields: tuple[ShownField, ...] = ()  # (name, label, value), in catalog order

    def as_dict(self) -> dict[str, Any]:
        """The record as the API shows it (``RecordOut``)."""
        return {"id": self.id, "entry_code": self.entry_code, "entry_name": self.entry_name,
                "info_class": self.info_class, "open_level": self.open_level, "source": self.source,
                "department": self.department, "decision_date": self.decision_date,
                "disclosure_until": self.disclosure_until, "version": self.version,
                "fields": [{"name": n, "label": lb, "value": v} for n, lb, v in self.fields]}


def _display(value: Any, field: FieldSpec, *, full_identity: bool, mask_names: bool) -> str:
    if value is None or value == "":
        return ""
    if field.subject_name:
        return mask_name(str(value)) if mask_names else str(value)
    spec = field.spec
    if spec.get("type") == "resident_id" and not full_identity:
        return mask_resident_id(str(value))
    labels = spec.get("allowed_labels")
    if spec.get("type") == "enum" and isinstance(labels, dict) and str(value) in labels:
        return f"{labels[str(value)]}（{value}）"
    return str(value)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a catalog version as records show it, decoded once per version (not per record)."""

    name: str
    label: str
    spec: dict[str, Any]
    plain: bool  # shown as str(value): not a resident ID, an enum with labels or the subject's name (shown_fields)
    subject_name: bool = False  # the field naming the record's subject (the version's ``subject_fields["name"]``)


#: The date-typed field names of each catalog entry (its versions past draft), read once per process
#: and entry. The pages and the PDF show such a field's ISO value as a date in the reader's language
#: (``portal_format.dated``); the API and the report content keep it ISO. By entry, not by name alone:
#: another entry's text field of the same name is not a date.
_DATE_FIELDS: dict[str, frozenset[str]] = {}
_DATE_FIELDS_MAX = 4096


def date_fields(entry_code: str) -> frozenset[str]:
    """The names of the date-typed fields of a catalog entry (one query the first time per process)."""
    found = _DATE_FIELDS.get(entry_code)
    if found is None:
        from pubcredit.catalog.models import CatalogVersion, VersionState

        names: set[str] = set()
        for specs in (CatalogVersion.objects.filter(entry__code=entry_code).exclude(state=VersionState.DRAFT)
                      .values_list("fields", flat=True)):
            names.update(str(s["name"]) for s in specs or () if s.get("type") == "date")
        if len(_DATE_FIELDS) > _DATE_FIELDS_MAX:
            _DATE_FIELDS.clear()
        found = _DATE_FIELDS[entry_code] = frozenset(names)
    return found


def _compile(specs: list[dict[str, Any]] | None, subject_fields: dict[str, Any] | None = None
             ) -> tuple[FieldSpec, ...]:
    name_field = (subject_fields or {}).get("name") or ""
    return tuple(FieldSpec(s["name"], s.get("label", s["name"]), s,
                           plain=s.get("type") not in ("resident_id", "enum") and s["name"] != name_field,
                           subject_name=s["name"] == name_field) for s in specs or ())


# Field specs of catalog versions past draft, by version id. Only a draft's fields can change
# (catalog.services.update_draft), so a published or retired version's decoded specs hold for
# the life of the process; drafts are read again every time.
_FIELD_SPECS: dict[int, tuple[FieldSpec, ...]] = {}
_FIELD_SPECS_MAX = 4096


def field_specs(version_ids: Iterable[int]) -> dict[int, tuple[FieldSpec, ...]]:
    """The fields of these catalog versions, in catalog order, decoded: at most one query, none
    when every version is already known."""
    from pubcredit.catalog.models import CatalogVersion, VersionState

    wanted = set(version_ids)
    out = {vid: _FIELD_SPECS[vid] for vid in wanted if vid in _FIELD_SPECS}
    missing = wanted - out.keys()
    if missing:
        if len(_FIELD_SPECS) > _FIELD_SPECS_MAX:
            _FIELD_SPECS.clear()
        for vid, state, specs, subject_fields in (CatalogVersion.objects.filter(pk__in=missing)
                                                  .values_list("id", "state", "fields", "subject_fields")):
            out[vid] = _compile(specs, subject_fields)
            if state != VersionState.DRAFT:
                _FIELD_SPECS[vid] = out[vid]
    return out


def shown_fields(specs: tuple[FieldSpec, ...], data: dict[str, Any], *, full_identity: bool, person: bool = False
                 ) -> tuple[ShownField, ...]:
    """A record's non-empty fields, in catalog order, as shown to a reader (resident IDs masked unless
    ``full_identity``; when the record's subject is a natural ``person``, the field naming it masked
    unless ``full_identity``, as the subject's own name is (``subjects.queries.summarize``); enum
    values with their labels; plain fields as text). Inlined: it runs for every field of every
    record of a report."""
    get = data.get
    mask_names = person and not full_identity
    if mask_names:  # a person's record: their name masked wherever it stands alone (e.g. 法定代表人 of 个体户)
        return _shown_of_person(specs, data, full_identity=full_identity)
    return tuple([(f.name, f.label, (value if type(value) is str else str(value)) if f.plain
                   else _display(value, f, full_identity=full_identity, mask_names=False))
                  for f in specs if (value := get(f.name)) is not None and value != ""])


def _shown_of_person(specs: tuple[FieldSpec, ...], data: dict[str, Any], *, full_identity: bool
                     ) -> tuple[ShownField, ...]:
    """``shown_fields`` for a record about a natural person, to a reader not entitled to its identity:
    the subject-name field masked, and any other field holding exactly that name too (a department
    may fill 法定代表人 of a 个体工商户 with the person's own name)."""
    own = next((str(data.get(f.name)) for f in specs if f.subject_name and data.get(f.name)), None)
    out: list[ShownField] = []
    for f in specs:
        value = data.get(f.name)
        if value is None or value == "":
            continue
        if f.plain:
            text = value if type(value) is str else str(value)
            out.append((f.name, f.label, mask_name(text) if own is not None and text.strip() == own.strip() else text))
        else:
            out.append((f.name, f.label, _display(value, f, full_identity=full_identity, mask_names=True)))
    return tuple(out)


def visible_records(subject_id: int, *, levels: Iterable[str], today: date, entries: Iterable[str] | None = None,
                    full_identity: bool = False, person: bool = False) -> list[RecordView]:
    """Active records of a subject at the given open levels, still within disclosure.

    Public records are always included; records of other levels only at ``levels`` and, when
    ``entries`` is given, only of those catalog entries (an application-list matter, Art. 27).
    Adverse information past its disclosure period is no longer disclosed (Art. 36; Zhejiang
    rule of 5 years by default, set per catalog entry).

    One query (plus one for catalog versions not seen before by this process); the record data
    is decoded with orjson and each version's field specs once.
    """
    rows = prepared.fetchall(f"{VISIBLE_RECORDS_SQL} ORDER BY {VISIBLE_RECORDS_ORDER}",
                             visible_records_params(subject_id, levels=levels, today=today, entries=entries))
    return records_from_rows(rows, full_identity=full_identity, person=person)


def visible_records_params(subject_id: int, *, levels: Iterable[str], today: date,
                           entries: Iterable[str] | None = None) -> list[Any]:
    """The parameters of ``VISIBLE_RECORDS_SQL``, in order, for ``visible_records``' arguments."""
    entry_codes = list(entries) if entries is not None else None
    return [subject_id, RecordStatus.ACTIVE.value, today, [lv for lv in levels if lv != "public"],
            entry_codes is None, entry_codes or []]


def records_from_rows(rows: Iterable[Sequence[Any]], *, full_identity: bool, person: bool = False
                      ) -> list[RecordView]:
    """The rows of ``VISIBLE_RECORDS_SQL`` (its ``RECORD_COLUMNS`` columns, ``data`` decoded, as
    ``pubcredit.prepared`` returns it) of one subject as shown to a reader; ``person``: the subject
    is a natural person (its name in the records is masked unless ``full_identity``)."""
    rows = list(rows)
    specs_of = field_specs({r[3] for r in rows})
    full = full_identity
    return [
        RecordView(id=rid, entry_code=code, entry_name=entry_name, info_class=info_class, open_level=level,
                   source=source, department=department, decision_date=decided, disclosure_until=until,
                   version=version, fields=shown_fields(specs_of[vid], data, full_identity=full, person=person))
        for rid, code, entry_name, vid, department, info_class, level, source, decided, until, version, data in rows
    ]


# ``visible_records`` in one plain statement (the ORM spent more time building it than PostgreSQL
# spent running it), also embedded by ``subjects.queries.profile`` in its one statement. Parameters:
# subject, active status, today, the non-public levels, whether all entries of those levels are
# allowed, else the allowed entry codes (``visible_records_params``). Order: ``VISIBLE_RECORDS_ORDER``
# (newest decision first, undated first, then newest id), by the output columns' names.
VISIBLE_RECORDS_SQL = """
    SELECT r.id, e.code AS entry_code, e.name AS entry_name, r.entry_version_id, d.name AS department,
           r.info_class, r.open_level, r.source, r.decision_date, r.disclosure_until, r.version, r.data
    FROM collection_record r
    JOIN catalog_catalogentry e ON e.id = r.entry_id
    JOIN catalog_department d ON d.id = r.department_id
    WHERE r.subject_id = %s AND r.status = %s
      AND (r.disclosure_until IS NULL OR r.disclosure_until >= %s)
      AND (r.open_level = 'public' OR (r.open_level = ANY(%s::varchar[]) AND (%s OR e.code = ANY(%s::varchar[]))))
"""
VISIBLE_RECORDS_ORDER = "decision_date DESC, id DESC"
RECORD_COLUMNS = 12


def active_records() -> QuerySet[Record]:
    """Every active record (the current version of each, not revoked)."""
    return Record.objects.filter(status=RecordStatus.ACTIVE)


# --- batches -------------------------------------------------------------------------------------

SUPERVISORS = ("operator", "auditor")
MAX_REJECTIONS_SHOWN = 1000


def batch_for(batch_id: int, *, reader: Reader) -> Batch:
    """The batch if the reader's department submitted it (or the reader supervises); NotFound otherwise.

    A batch of another department answers NotFound, not NotPermitted, so ids cannot be probed.
    """
    batch = Batch.objects.select_related("entry", "department", "entry_version").filter(pk=batch_id).first()
    if batch is None or (reader.kind not in SUPERVISORS and batch.department_id != reader.department_id):
        raise NotFound(f"未找到报送批次 #{batch_id}")
    return batch


def rejected_rows_of(batch_id: int, *, reader: Reader) -> Batch:
    """The batch whose rejected rows ``reader`` may download: only the submitting department's
    (the file holds the rows as sent, personal values decrypted: docs/collection.md). A supervisor
    sees a batch's counts and reasons (``batch_for``), not this file. NotFound otherwise, as for a
    batch of another department."""
    batch = batch_for(batch_id, reader=reader)
    if not may_download_rejected(batch, reader):
        raise NotFound(f"未找到报送批次 #{batch_id}")
    return batch


def may_download_rejected(batch: Batch, reader: Reader) -> bool:
    """Whether ``reader`` may download ``batch``'s rejected rows (``rejected_rows_of``): only the
    submitting department; the API offers the link (``rejected_csv_url``) to nobody else."""
    return reader.department_id is not None and batch.department_id == reader.department_id


def batches_of_department(department_id: int) -> QuerySet[Batch]:
    return Batch.objects.filter(department_id=department_id).select_related("entry").order_by("-created_at", "-id")


def batch_page(department_id: int, *, limit: int, before_id: int | None = None, entry_code: str = "",
               status: str = "") -> tuple[list[Batch], int | None]:
    """A department's batches, newest first, ``limit`` at a time (keyset on id: ids grow with time).

    Returns the page and the ``before_id`` of the next one (None when this page is the last).
    """
    if "\x00" in entry_code or "\x00" in status:
        raise InvalidInput("不能包含空字符（U+0000）", field="entry_code" if "\x00" in entry_code else "status")
    found = Batch.objects.filter(department_id=department_id).select_related("entry").order_by("-id")
    if before_id is not None:
        found = found.filter(id__lt=before_id)
    if entry_code:
        found = found.filter(entry__code=entry_code)
    if status:
        found = found.filter(status=status)
    rows = list(found[:limit + 1])
    return rows[:limit], (rows[limit - 1].pk if len(rows) > limit else None)


def rejections_of(batch: Batch, *, limit: int = MAX_REJECTIONS_SHOWN) -> list[BatchRejection]:
    return list(BatchRejection.objects.filter(batch=batch).order_by("row_number", "id")[:limit])
