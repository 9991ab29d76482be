"""Reads of the catalog (Art. 9, 13, 14).

The catalog itself is public information: Art. 9 has it compiled openly and consulted on, so
these readers take no reader argument. Records collected under it are filtered by open level
in the collection and report queries, not here.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from pubcredit.catalog.models import CatalogEntry, CatalogVersion, ConsultationComment, Department, VersionState
from pubcredit.errors import NotFound


def published_version(entry_code: str) -> CatalogVersion:
    """The version of ``entry_code`` in force, with entry and provider loaded (Art. 13).

    Collection validates submissions against it. Raises NotFound if the entry does not exist
    or has no published version.
    """
    if "\x00" in entry_code:  # PostgreSQL cannot compare it; no code holds one
        raise NotFound("目录条目不存在：编码含有空字符（U+0000）")
    version = (CatalogVersion.objects.select_related("entry", "entry__department")
               .filter(entry__code=entry_code, state=VersionState.PUBLISHED).first())
    if version is None:
        entry_by_code(entry_code)  # NotFound for an unknown code, with its own message
        raise NotFound(f"目录条目 {entry_code} 没有已发布的版本")
    return version


def published_catalog() -> list[CatalogVersion]:
    """Every published version, by entry code, with entry and provider loaded (Art. 9)."""
    return list(CatalogVersion.objects.select_related("entry", "entry__department")
                .filter(state=VersionState.PUBLISHED).order_by("entry__code"))


def entry_by_code(code: str) -> CatalogEntry:
    """The catalog entry with this code, with its provider. Raises NotFound."""
    entry = (CatalogEntry.objects.select_related("department").filter(code=code).first()
             if "\x00" not in code else None)
    if entry is None:
        raise NotFound(f"目录条目 {code} 不存在")
    return entry


def entries_with_versions() -> list[CatalogEntry]:
    """All entries, by code, with provider and versions (oldest first) loaded in two queries."""
    return list(CatalogEntry.objects.select_related("department")
                .prefetch_related(Prefetch("versions", queryset=CatalogVersion.objects.order_by("number")))
                .order_by("code"))


def versions_of(entry: CatalogEntry) -> list[CatalogVersion]:
    """Every version of an entry, oldest first."""
    return list(entry.versions.order_by("number"))


def version_by_number(entry_code: str, number: int) -> CatalogVersion:
    """One version of an entry by its number. Raises NotFound."""
    version = (CatalogVersion.objects.select_related("entry", "entry__department")
               .filter(entry__code=entry_code, number=number).first())
    if version is None:
        raise NotFound(f"目录条目 {entry_code} 没有第 {number} 版")
    return version


def comments_of(version: CatalogVersion) -> QuerySet[ConsultationComment]:
    """The consultation comments on a version, oldest first (Art. 9)."""
    return version.comments.order_by("created_at", "pk")


def departments(*, active_only: bool = True) -> list[Department]:
    """The departments (public-credit-related units), by code."""
    qs = Department.objects.order_by("code")
    return list(qs.filter(is_active=True) if active_only else qs)


def department_by_code(code: str) -> Department:
    """One department by its code. Raises NotFound."""
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise NotFound(f"部门 {code} 不存在")
    return department
