"""``/api/v1/market-records``: a credit agency shares market credit information (Art. 16, 17).

Only with the agency's own API token (``Authorization: Bearer pct_…``, issued for the agency
as an organisation). The service checks, at the moment of sharing, that the subject's
authorisation for that agency is valid; the API only maps the outcome: 201 (new record or new
version), 200 (same content again: unchanged), 400 (a field, named), 401 (no token), 403 (not
an agency token, or no valid authorisation), 404 (unknown subject), 409 (the number belongs to
another subject's record).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthenticationError

from pubcredit.access.readers import reader_for_request
from pubcredit.collection import market
from pubcredit.errors import NotPermitted
from pubcredit.subjects.models import Subject
from pubcredit.subjects.schemas import ErrorOut

router = Router()


class MarketRecordIn(Schema):
    """What an agency sends; its own name and code are taken from its token, never from the body."""

    subject_code: str = Field(description="信用主体的统一社会信用代码或身份证号码")
    item: str = Field(description="信息事项（不超过 100 个字符）", examples=["合同履约评价"])
    content: str = Field(description="信息内容（不超过 2000 个字符）")
    occurred_on: str = Field(description="发生日期 YYYY-MM-DD，不晚于今天", examples=["2026-03-01"])
    reference_no: str = Field(description="本机构的记录编号（不超过 100 个字符）；再次报送同一编号："
                                          "内容相同视为未变化，内容不同形成新版本", examples=["PJ-2026-000123"])


class MarketRecordOut(Schema):
    id: int
    entry_code: str
    subject_code: str  # a person's ID number masked
    reference_no: str
    item: str
    occurred_on: date | None
    version: int
    status: str
    source: str
    open_level: str
    outcome: str  # created | corrected | unchanged
    collected_at: datetime


def _out(shared: market.SharedRecord) -> dict[str, Any]:
    r = shared.record
    return {
        "id": r.pk, "entry_code": market.AGENCY_SHARED_ENTRY, "subject_code": r.subject.display_code,
        "reference_no": str(r.data.get("reference_no", "")), "item": str(r.data.get("item", "")),
        "occurred_on": r.decision_date, "version": r.version, "status": r.status, "source": r.source,
        "open_level": r.open_level, "outcome": shared.outcome, "collected_at": r.collected_at,
    }


@router.post(
    "", response={200: MarketRecordOut, 201: MarketRecordOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                  404: ErrorOut, 409: ErrorOut},
    summary="共享市场信用信息 / A credit agency shares a market credit record (Art. 17)",
    description=("For credit agencies, with their own API token (`Authorization: Bearer …`). Accepted only while "
                 "the subject's authorisation for the agency is valid (within its period, not revoked); otherwise "
                 "403 and nothing is stored. The record is kept at the authorised-query level, marked as market "
                 "credit information. The same `reference_no` with the same content again answers 200 "
                 "(`outcome: unchanged`); with other content it becomes a new version (201, `corrected`)."),
)
def share(request: HttpRequest, body: MarketRecordIn) -> Status[dict[str, Any]]:
    if not request.headers.get("Authorization", "").strip():
        raise AuthenticationError()
    reader = reader_for_request(request, channel="api")
    if reader.kind != "agency" or reader.agency_id is None:
        raise NotPermitted("只有信用服务机构可以用本机构的接口令牌共享市场信用信息")
    agency = Subject.objects.get(pk=reader.agency_id)
    shared = market.share(agency=agency, subject_code=body.subject_code, item=body.item, content=body.content,
                          occurred_on=body.occurred_on, reference_no=body.reference_no, actor=reader.name)
    return Status(200 if shared.outcome == "unchanged" else 201, _out(shared))
