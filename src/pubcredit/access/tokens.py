"""API tokens: creation, revocation and authentication (stored as SHA-256 digests only)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from pubcredit import prepared
from pubcredit.access.models import ApiToken
from pubcredit.catalog.models import Department
from pubcredit.errors import Conflict, InvalidInput, NotPermitted
from pubcredit.subjects.models import ORGANIZATION_KINDS, Subject
from pubcredit.textinput import one_line

TOKEN_PREFIX = "pct_"  # noqa: S105 - a public marker that starts every token, not a secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _audit(event: str, token: ApiToken, *, actor: str) -> None:
    """Art. 38, 39: who issued or revoked which token, for whom (never the secret; the prefix names it)."""
    from pubcredit.audit.services import record_event

    owner: dict[str, object] = {"agency": token.agency_id}
    if token.department_id is not None and token.department:
        owner = {"department": token.department.code}
    record_event(event, actor=actor, object_type="api_token", object_id=str(token.pk),
                 subject_id=token.agency_id, data={"prefix": token.prefix, "name": token.name, **owner})


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; never stored


@transaction.atomic
def create_department_token(department: Department, *, name: str, actor: str) -> IssuedToken:
    """Issue a token with which ``department`` submits records under the entries it provides."""
    if not department.is_active:
        raise InvalidInput(f"部门 {department.code} 已停用，不能签发令牌", field="department")
    label = one_line(name, field="name")
    if not label:
        raise InvalidInput("令牌名称不能为空", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(name=label[:100], prefix=secret[:12], digest=_digest(secret),
                                    department=department, created_by=actor)
    _audit("access:token:issued", token, actor=actor)
    return IssuedToken(token, secret)


@transaction.atomic
def create_agency_token(agency_subject: Subject, *, name: str, actor: str) -> IssuedToken:
    """Issue a token with which an organisation (a credit agency) reads others' information: public
    information, and authorised information of the subjects that authorised it (Art. 14, 40)."""
    if agency_subject.kind not in ORGANIZATION_KINDS:
        raise InvalidInput("信用服务机构应为法人或非法人组织", field="agency")
    label = one_line(name, field="name")
    if not label:
        raise InvalidInput("令牌名称不能为空", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(name=label[:100], prefix=secret[:12], digest=_digest(secret),
                                    agency=agency_subject, created_by=actor)
    _audit("access:token:issued", token, actor=actor)
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
    _audit("access:token:revoked", token, actor=actor)
    return token


def hold_unrevoked(token_id: int) -> bool:
    """Whether the token is still unrevoked; if so, a revocation (``revoke_token``) waits until the
    caller's transaction ends. For work done later in a token's name (batch queries): a read that
    began under a valid token finishes, and none begins after its revocation has committed."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT t.revoked_at IS NULL AND d.is_active IS NOT FALSE FROM access_apitoken t "
                    "LEFT JOIN catalog_department d ON d.id = t.department_id WHERE t.id = %s FOR SHARE OF t",
                    [token_id])
        row = cur.fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class TokenOwner:
    """Whom an authenticated token speaks for: a department (submitting, or reading for a matter) or an
    organisation reading under its authorisations (``agency_name`` is what reports print)."""

    token_id: int
    department_id: int | None = None
    department_code: str = ""
    agency_id: int | None = None
    agency_name: str = ""


# One statement per request: the token, whether it is refused (revoked, or its department deactivated:
# a department that no longer exists reads and submits nothing), its owner's code or name, and whether
# the last-used stamp is due (older than LAST_USED_EVERY seconds); read on every request, never cached.
# Parameters: LAST_USED_EVERY, the token's digest (``token_digest``). Its row (AUTHENTICATE_COLUMNS
# columns) is what ``owner_of`` takes; a caller may read it along with other things.
AUTHENTICATE_SQL = """
    SELECT t.id, t.revoked_at IS NOT NULL OR d.is_active IS FALSE, t.department_id, d.code, t.agency_id, s.name,
           t.last_used_at IS NULL OR t.last_used_at < now() - make_interval(secs => %s)
    FROM access_apitoken t
    LEFT JOIN catalog_department d ON d.id = t.department_id
    LEFT JOIN subjects_subject s ON s.id = t.agency_id
    WHERE t.digest = %s
"""
AUTHENTICATE_COLUMNS = 7
LAST_USED_EVERY = 60  # seconds: the last-used stamp is written at most once a minute per token


def token_digest(secret: str) -> str:
    """The stored digest of a presented token; NotPermitted for what cannot be a token."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise NotPermitted("接口令牌无效")
    return _digest(secret)


def owner_of(row: Sequence[Any] | None) -> TokenOwner:
    """The owner of the token whose ``AUTHENTICATE_SQL`` row this is (None: no such token);
    NotPermitted if unknown or revoked. Updates the last-used stamp when it is due."""
    if row is None or row[0] is None or row[1]:
        raise NotPermitted("接口令牌无效、已吊销或所属部门已停用")
    token_id, _revoked, department_id, department_code, agency_id, agency_name, stale = row
    if stale:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=timezone.now())
    return TokenOwner(token_id=token_id, department_id=department_id, department_code=department_code or "",
                      agency_id=agency_id, agency_name=agency_name or "")


def authenticate(secret: str) -> TokenOwner:
    """The owner of the active token for ``secret``; NotPermitted if unknown or revoked.

    One query; the last-used stamp is updated only when it is more than a minute old.
    """
    return owner_of(prepared.fetchone(AUTHENTICATE_SQL, [LAST_USED_EVERY, token_digest(secret)]))
