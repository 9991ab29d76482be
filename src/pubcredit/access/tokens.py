"""API tokens: creation, revocation and authentication (stored as SHA-256 digests only)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from pubcredit.access.models import ApiToken
from pubcredit.catalog.models import Department
from pubcredit.errors import Conflict, InvalidInput, NotPermitted
from pubcredit.subjects.models import ORGANIZATION_KINDS, Subject

TOKEN_PREFIX = "pct_"  # noqa: S105 - a public marker that starts every token, not a secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; never stored


@transaction.atomic
def create_department_token(department: Department, *, name: str, actor: str) -> IssuedToken:
    """Issue a token with which ``department`` submits records under the entries it provides."""
    if not department.is_active:
        raise InvalidInput(f"部门 {department.code} 已停用，不能签发令牌", field="department")
    label = " ".join((name or "").split())
    if not label:
        raise InvalidInput("令牌名称不能为空", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(name=label[:100], prefix=secret[:12], digest=_digest(secret),
                                    department=department, created_by=actor)
    return IssuedToken(token, secret)


@transaction.atomic
def create_agency_token(agency_subject: Subject, *, name: str, actor: str) -> IssuedToken:
    """Issue a token with which an organisation (a credit agency) reads others' information: public
    information, and authorised information of the subjects that authorised it (Art. 14, 40)."""
    if agency_subject.kind not in ORGANIZATION_KINDS:
        raise InvalidInput("信用服务机构应为法人或非法人组织", field="agency")
    label = " ".join((name or "").split())
    if not label:
        raise InvalidInput("令牌名称不能为空", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(name=label[:100], prefix=secret[:12], digest=_digest(secret),
                                    agency=agency_subject, created_by=actor)
    return IssuedToken(token, secret)


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: str) -> ApiToken:
    """Revoke a token; it is refused from the next request on."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict("该令牌已吊销")
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def authenticate(secret: str) -> ApiToken:
    """The active token for ``secret``; NotPermitted if unknown or revoked."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise NotPermitted("接口令牌无效")
    token = ApiToken.objects.select_related("department", "agency").filter(digest=_digest(secret)).first()
    if token is None or token.revoked_at is not None:
        raise NotPermitted("接口令牌无效或已吊销")
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
