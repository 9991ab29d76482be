"""``/api/v1/authorizations``: a logged-in subject grants, lists and revokes authorisations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.security import django_auth

from pubcredit.access import queries, services
from pubcredit.access.models import Authorization
from pubcredit.access.readers import reader_for_request
from pubcredit.access.schemas import AuthorizationIn, AuthorizationOut
from pubcredit.errors import NotFound, NotPermitted
from pubcredit.subjects import queries as subject_queries
from pubcredit.subjects.models import Subject
from pubcredit.subjects.schemas import ErrorOut

router = Router(auth=django_auth)


def _own_subject(request: HttpRequest) -> Subject:
    reader = reader_for_request(request, channel="api")
    if reader.subject_id is None:
        raise NotPermitted("只有绑定了信用主体的账号可以管理授权")
    return Subject.objects.get(pk=reader.subject_id)


def _out(a: Authorization) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "id": a.pk, "grantee_code": a.grantee.uscc or "", "grantee_name": a.grantee.name, "purpose": a.purpose,
        "valid_from": a.valid_from, "valid_until": a.valid_until, "created_at": a.created_at,
        "revoked_at": a.revoked_at,
        "active": a.revoked_at is None and a.valid_from <= today <= a.valid_until,
    }


@router.post("", response={201: AuthorizationOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="授权查询 / Grant an authorisation (Art. 14, 17)")
def grant(request: HttpRequest, body: AuthorizationIn) -> Status[dict[str, Any]]:
    subject = _own_subject(request)
    grantee = subject_queries.subject_by_code(body.grantee_code)
    auth = services.grant_authorization(subject=subject, grantee=grantee, purpose=body.purpose,
                                        valid_from=body.valid_from, valid_until=body.valid_until,
                                        actor=f"user:{request.user.get_username()}")
    return Status(201, _out(auth))


@router.get("", response={200: list[AuthorizationOut], 401: ErrorOut, 403: ErrorOut},
            summary="我的授权 / My authorisations")
def list_own(request: HttpRequest) -> list[dict[str, Any]]:
    subject = _own_subject(request)
    reader = reader_for_request(request, channel="api")
    return [_out(a) for a in queries.authorizations_of(subject.pk, reader=reader)]


@router.post("/{authorization_id}/revoke", response={200: AuthorizationOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                                                     404: ErrorOut, 409: ErrorOut},
             summary="撤销授权 / Revoke an authorisation")
def revoke(request: HttpRequest, authorization_id: int) -> dict[str, Any]:
    subject = _own_subject(request)
    auth = Authorization.objects.select_related("grantee").filter(pk=authorization_id, subject=subject).first()
    if auth is None:
        raise NotFound("未找到该授权")
    auth = services.revoke_authorization(auth, by_subject=subject, actor=f"user:{request.user.get_username()}")
    return _out(Authorization.objects.select_related("grantee").get(pk=auth.pk))
