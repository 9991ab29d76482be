"""Reads of authorisations, the application list and the query log, given the reader."""

from __future__ import annotations

from django.db.models import QuerySet

from pubcredit.access.models import Authorization, Matter, QueryLog
from pubcredit.access.readers import Reader
from pubcredit.errors import NotPermitted

#: Roles that supervise: they may read any subject's query log (Art. 39, 51).
SUPERVISOR_KINDS = ("auditor", "operator")


def query_log_for(subject_id: int, *, reader: Reader) -> QuerySet[QueryLog]:
    """Art. 33: the subject's own query log (who read what, when, why); also for supervisors."""
    if reader.subject_id != subject_id and reader.kind not in SUPERVISOR_KINDS:
        raise NotPermitted("只有信用主体本人和监督人员可以查看查询记录")
    return (QueryLog.objects.filter(subject_id=subject_id)
            .select_related("department", "agency", "matter").order_by("-at", "-id"))


def authorizations_of(subject_id: int, *, reader: Reader) -> QuerySet[Authorization]:
    """The authorisations a subject has given (only for the subject itself and supervisors)."""
    if reader.subject_id != subject_id and reader.kind not in SUPERVISOR_KINDS:
        raise NotPermitted("只有信用主体本人可以查看其授权")
    return Authorization.objects.filter(subject_id=subject_id).select_related("grantee").order_by("-created_at")


def application_list() -> QuerySet[Matter]:
    """Art. 27: the published government application list (public)."""
    return (Matter.objects.filter(published=True).select_related("department")
            .prefetch_related("entries").order_by("department__code", "code"))
