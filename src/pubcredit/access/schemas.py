"""API shapes for authorisations and the query log."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from pubcredit.apitypes import IsoDate


class AuthorizationIn(Schema):
    grantee_code: str = Field(..., max_length=18, description="被授权机构的统一社会信用代码")
    purpose: str = Field(..., min_length=1, max_length=200)
    valid_from: IsoDate
    valid_until: IsoDate


class AuthorizationOut(Schema):
    id: int
    grantee_code: str
    grantee_name: str
    purpose: str
    valid_from: date
    valid_until: date
    created_at: datetime
    revoked_at: datetime | None
    active: bool


class QueryLogOut(Schema):
    at: datetime
    reader_kind: str
    reader_name: str
    levels: list[str]
    entries: list[str]
    purpose: str
    matter: str | None
    authorization_id: int | None
    channel: str
    reader_label: str  # who read, in words: the organisation or department's name, else the role
    level_labels: list[str]  # the levels in words: 社会公开, 授权查询 …
    channel_label: str  # 网页, 接口, 批量查询 …


class QueryLogPage(Schema):
    items: list[QueryLogOut]
    count: int
