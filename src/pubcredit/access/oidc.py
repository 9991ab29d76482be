"""Sign-in with the city's identity provider (政务服务账号) over OpenID Connect.

Off unless configured: the ``OIDC_*`` settings (from the environment) must name the client and
the provider's endpoints, and ``GovIdentityBackend`` must be among ``AUTHENTICATION_BACKENDS``
(settings add it when ``OIDC_RP_CLIENT_ID`` is set). Until then the login page shows no button
and the OIDC URLs answer 404.

The provider's claims are mapped to an existing account — by the username claim
(``PUBCREDIT_OIDC_USERNAME_CLAIM``), else by an e-mail address the provider marks verified.
Staff accounts are never created from claims; a subject account is created (and bound to its
subject by the code in ``PUBCREDIT_OIDC_SUBJECT_CODE_CLAIM``) only when
``PUBCREDIT_OIDC_CREATE_SUBJECT_ACCOUNTS`` is on. Signing in here does not pass the second
factor: a staff account still has to give its one-time code.

Beyond mozilla-django-oidc's defaults the ID token's audience (our client id), issuer (when
``OIDC_OP_ISSUER`` is set) and expiry are checked, and the userinfo ``sub`` must be the ID
token's ``sub`` (OpenID Connect Core §5.3.2).
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # type: ignore[import-untyped]

from pubcredit.access.models import User
from pubcredit.errors import PubcreditError

logger = logging.getLogger(__name__)

BACKEND = "pubcredit.access.oidc.GovIdentityBackend"
_REQUIRED = ("OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET", "OIDC_OP_AUTHORIZATION_ENDPOINT",
             "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT")


def is_configured() -> bool:
    """Whether sign-in through the identity provider is set up (and so offered)."""
    if not all(getattr(settings, name, "") for name in _REQUIRED):
        return False
    algorithm = str(getattr(settings, "OIDC_RP_SIGN_ALGO", "RS256"))
    if algorithm.startswith(("RS", "ES")) and not (getattr(settings, "OIDC_OP_JWKS_ENDPOINT", None)
                                                    or getattr(settings, "OIDC_RP_IDP_SIGN_KEY", None)):
        return False
    return BACKEND in settings.AUTHENTICATION_BACKENDS


def _username_claim() -> str:
    return str(getattr(settings, "PUBCREDIT_OIDC_USERNAME_CLAIM", "preferred_username"))


class GovIdentityBackend(OIDCAuthenticationBackend):
    """The OIDC authorisation-code flow (with PKCE), mapped onto existing accounts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.configured = is_configured()
        if self.configured:
            super().__init__(*args, **kwargs)
        else:
            self.UserModel = User

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        # Django offers every backend every credential set; a password login is not ours.
        if not self.configured or request is None or "password" in kwargs:
            return None
        user: User | None = super().authenticate(request, **kwargs)
        return user

    def get_user(self, user_id: Any) -> User | None:
        # mozilla-django-oidc's own get_user would keep a disabled account signed in.
        user: User | None = ModelBackend.get_user(self, user_id)
        return user

    def get_payload_data(self, token: Any, key: Any) -> dict[str, Any]:
        algorithm = self.OIDC_RP_SIGN_ALGO
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != algorithm:
                raise SuspiciousOperation("ID token signed with an unexpected algorithm")
            payload: dict[str, Any] = jwt.decode(
                token, key, algorithms=[algorithm], audience=self.OIDC_RP_CLIENT_ID,
                issuer=getattr(settings, "OIDC_OP_ISSUER", "") or None, leeway=60,
                options={"require": ["exp", "iat", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token rejected: {exc}") from exc
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo sub differs from the ID token's")
        return claims

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get(_username_claim()) or _verified_email(claims))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        username = claims.get(_username_claim())
        if username:
            by_name = User.objects.filter(username=str(username))
            if by_name.exists():
                return by_name
        email = _verified_email(claims)
        if email:
            return User.objects.filter(email__iexact=email)
        return User.objects.none()

    def create_user(self, claims: dict[str, Any]) -> User | None:
        """Only a subject account, only when allowed, only bound by a code the provider asserts."""
        from pubcredit.access import accounts

        if not getattr(settings, "PUBCREDIT_OIDC_CREATE_SUBJECT_ACCOUNTS", False):
            logger.info("identity-provider sign-in without a matching account refused (creation is off)")
            return None
        code_claim = str(getattr(settings, "PUBCREDIT_OIDC_SUBJECT_CODE_CLAIM", "") or "")
        code = str(claims.get(code_claim, "")) if code_claim else ""
        username = str(claims.get(_username_claim(), "") or "")
        if not code or not username:
            logger.info("identity-provider sign-in refused: no subject code or username claim")
            return None
        try:
            return accounts.create_account(username=username, role="subject", password=None,
                                           subject_code=code, email=_verified_email(claims),
                                           actor="oidc")
        except PubcreditError as exc:
            logger.info("identity-provider sign-in refused: %s", exc)
            return None


def _verified_email(claims: dict[str, Any]) -> str:
    email = claims.get("email")
    return str(email) if email and claims.get("email_verified") is True else ""
