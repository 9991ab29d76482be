"""``/api/v1/departments``: timeliness and quality of a department's submissions (Art. 13, 51)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import Field

from pubcredit.errors import NotPermitted
from pubcredit.monitoring import queries
from pubcredit.monitoring.schemas import DepartmentQualityOut
from pubcredit.subjects.schemas import ErrorOut

router = Router()


@router.get(
    "/{code}/quality",
    response={200: DepartmentQualityOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="部门报送质量 / Timeliness and quality of a department's submissions",
    description=(
        "Per catalog entry the department provides: collection frequency, last submission, the "
        "day the next submission is due and whether it is overdue, records and batches in the "
        "period, rows received and rejected; for decision-type entries (with a submission time "
        "limit in working days, e.g. 7 for licensing and penalty decisions) how many records were "
        "submitted after the limit, counted on the official working-day calendar. Department "
        "totals, the five most common rejection reasons and rejections for missing required "
        "fields follow. The period is the last `period_days` days up to today (Asia/Shanghai). "
        "Rates are fractions (0–1), null when there is nothing to divide. Staff only (403 "
        "otherwise); 400 for a malformed code or period, 404 for an unknown department."
    ),
)
def department_quality(
    request: HttpRequest,
    code: str,
    period_days: Annotated[int, Query(), Field(ge=1, le=queries.MAX_PERIOD_DAYS)] = queries.DEFAULT_PERIOD_DAYS,
) -> dict[str, Any]:
    if not queries.can_view_quality(request.user):
        raise NotPermitted("仅限登录的工作人员查看部门报送质量")
    return asdict(queries.department_quality(code, period_days=period_days))
