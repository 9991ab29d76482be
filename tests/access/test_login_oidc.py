"""Sign-in with the identity provider (OpenID Connect), against a fake provider: no network.

The fake answers mozilla-django-oidc's three HTTP calls (token, JWKS, userinfo) with an ID token
signed by a key made here.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from pubcredit.access import oidc
from pubcredit.access.models import User
from tests.access.helpers import make_user
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.hangzhou.example"
CLIENT_ID = "pubcredit-test"
PROVIDER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # one per run: keys are slow


class FakeResponse:
    def __init__(self, body: Any, status: int = 200, url: str = "") -> None:
        self._body = body
        self.status_code = status
        self.url = url
        self.headers = {"content-type": "application/json"}
        self.text = json.dumps(body)

    def json(self) -> Any:
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise AssertionError(f"unexpected HTTP {self.status_code}")


@dataclass
class FakeProvider:
    """The identity provider: it signs what ``claims`` says for whoever holds ``code``."""

    key: rsa.RSAPrivateKey = field(default_factory=lambda: PROVIDER_KEY)
    claims: dict[str, Any] = field(default_factory=dict)
    userinfo: dict[str, Any] = field(default_factory=dict)
    audience: str = CLIENT_ID
    nonce: str = ""
    token_requests: list[dict[str, Any]] = field(default_factory=list)

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [jwk | {"kid": "k1", "alg": "RS256", "use": "sig"}]}

    def post(self, url: str, data: dict[str, Any], **_: Any) -> FakeResponse:
        assert url == f"{ISSUER}/token"
        self.token_requests.append(dict(data))
        now = int(time.time())
        id_token = jwt.encode({"iss": ISSUER, "aud": self.audience, "iat": now, "exp": now + 300,
                               "nonce": self.nonce, **self.claims}, self.key, algorithm="RS256",
                              headers={"kid": "k1"})
        return FakeResponse({"id_token": id_token, "access_token": "at-123", "token_type": "Bearer"}, url=url)

    def get(self, url: str, **_: Any) -> FakeResponse:
        if url == f"{ISSUER}/jwks":
            return FakeResponse(self.jwks(), url=url)
        assert url == f"{ISSUER}/userinfo"
        return FakeResponse(self.userinfo or self.claims, url=url)


@pytest.fixture
def idp(settings: Any, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "client-secret-for-tests"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{ISSUER}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{ISSUER}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{ISSUER}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{ISSUER}/jwks"
    settings.OIDC_OP_ISSUER = ISSUER
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, oidc.BACKEND]
    provider = FakeProvider()
    monkeypatch.setattr("mozilla_django_oidc.auth.requests.post", provider.post)
    monkeypatch.setattr("mozilla_django_oidc.auth.requests.get", provider.get)
    return provider


def sign_in(client: Client, provider: FakeProvider, next_url: str = "") -> str:
    """Go through the flow; return where the callback sends the browser."""
    start = client.get("/accounts/oidc/start/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302
    target = urlsplit(start["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{ISSUER}/authorize"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://testserver/accounts/oidc/callback/"
    provider.nonce = query["nonce"]
    back = client.get("/accounts/oidc/callback/", {"code": "code-abc", "state": query["state"]})
    assert back.status_code == 302
    return str(back["Location"])


def test_no_button_and_no_endpoints_while_unconfigured(client: Client) -> None:
    assert not oidc.is_configured()
    assert "使用政务服务账号登录" not in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/oidc/start/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_button_shown_when_configured(client: Client, idp: FakeProvider) -> None:
    assert oidc.is_configured()
    html = client.get("/accounts/login/?next=/search/").content.decode()
    assert "使用政务服务账号登录" in html
    assert 'href="/accounts/oidc/start/?next=/search/"' in html


def test_existing_subject_account_signs_in_by_username(client: Client, idp: FakeProvider) -> None:
    user = make_user("subject")
    idp.claims = {"sub": "idp-42", "preferred_username": user.username}
    assert sign_in(client, idp, next_url="/search/") == "/search/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/search/").status_code == 200
    sent = idp.token_requests[0]
    assert sent["code"] == "code-abc"
    assert sent["code_verifier"]  # PKCE


def test_staff_signed_in_by_the_provider_still_needs_the_code(client: Client, idp: FakeProvider) -> None:
    officer = make_user("officer")
    idp.claims = {"sub": "idp-7", "preferred_username": officer.username}
    sign_in(client, idp)
    assert int(client.session["_auth_user_id"]) == officer.pk
    assert client.get("/admin/")["Location"].startswith("/accounts/totp/setup/")


def test_verified_email_maps_an_account_unverified_does_not(client: Client, idp: FakeProvider) -> None:
    user = make_user("subject", email="zhang@example.cn")
    idp.claims = {"sub": "idp-9", "email": "Zhang@example.cn", "email_verified": False}
    assert sign_in(client, idp) == "/accounts/login/?oidc=failed"
    assert "_auth_user_id" not in client.session
    idp.claims["email_verified"] = True
    sign_in(client, idp)
    assert int(client.session["_auth_user_id"]) == user.pk


def test_unknown_person_gets_no_account_by_default(client: Client, idp: FakeProvider) -> None:
    idp.claims = {"sub": "idp-1", "preferred_username": "stranger"}
    assert sign_in(client, idp) == "/accounts/login/?oidc=failed"
    assert not User.objects.filter(username="stranger").exists()
    page = client.get("/accounts/login/?oidc=failed").content.decode()
    assert "政务服务账号登录未成功" in page


def test_subject_account_created_and_bound_when_allowed(client: Client, idp: FakeProvider, settings: Any) -> None:
    settings.PUBCREDIT_OIDC_CREATE_SUBJECT_ACCOUNTS = True
    settings.PUBCREDIT_OIDC_SUBJECT_CODE_CLAIM = "credit_code"
    company = f.org(name="杭州政务登录测试有限公司")
    idp.claims = {"sub": "idp-5", "preferred_username": "newco", "credit_code": company.uscc}
    sign_in(client, idp)
    created = User.objects.get(username="newco")
    assert created.role == "subject"
    assert created.subject == company
    assert not created.is_staff
    assert not created.has_usable_password()


def test_no_account_for_a_code_the_platform_does_not_know(client: Client, idp: FakeProvider, settings: Any) -> None:
    settings.PUBCREDIT_OIDC_CREATE_SUBJECT_ACCOUNTS = True
    settings.PUBCREDIT_OIDC_SUBJECT_CODE_CLAIM = "credit_code"
    idp.claims = {"sub": "idp-6", "preferred_username": "ghost", "credit_code": f.uscc()}
    assert sign_in(client, idp) == "/accounts/login/?oidc=failed"
    assert not User.objects.filter(username="ghost").exists()


def test_token_for_another_client_is_refused(client: Client, idp: FakeProvider) -> None:
    user = make_user("subject")
    idp.claims = {"sub": "idp-3", "preferred_username": user.username}
    idp.audience = "some-other-app"
    assert sign_in(client, idp) == "/accounts/login/?oidc=failed"
    assert "_auth_user_id" not in client.session


def test_userinfo_of_another_person_is_refused(client: Client, idp: FakeProvider) -> None:
    user = make_user("subject")
    idp.claims = {"sub": "idp-3", "preferred_username": "someone"}
    idp.userinfo = {"sub": "idp-4", "preferred_username": user.username}
    assert sign_in(client, idp) == "/accounts/login/?oidc=failed"
    assert "_auth_user_id" not in client.session


def test_disabled_account_cannot_sign_in(client: Client, idp: FakeProvider) -> None:
    user = make_user("subject")
    User.objects.filter(pk=user.pk).update(is_active=False)
    idp.claims = {"sub": "idp-8", "preferred_username": user.username}
    assert sign_in(client, idp) == "/accounts/login/?oidc=failed"


def test_password_logins_still_work_with_the_provider_configured(client: Client, idp: FakeProvider) -> None:
    from tests.access.helpers import PASSWORD

    user = make_user("subject")
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    assert idp.token_requests == []
