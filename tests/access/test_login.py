"""Logins: password, then a one-time code for staff; the code is enforced on every staff path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access import accounts, otp
from pubcredit.access.models import User
from tests.access.helpers import PASSWORD, make_user, verified_client, wrong_code

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

LOGIN = "/accounts/login/"


def login(client: Client, username: str, password: str = PASSWORD, next_url: str = "") -> object:
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def enrol_secret(client: Client) -> str:
    """Open the enrolment page and read the secret it offers (kept in the session until confirmed)."""
    page = client.get("/accounts/totp/setup/")
    assert page.status_code == 200
    return str(client.session[otp.ENROL_SESSION_KEY])


# --- the login page --------------------------------------------------------------------------

def test_login_page_is_chinese_with_csrf_and_no_idp_button_unconfigured(client: Client) -> None:
    page = client.get(LOGIN)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>登录</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'autocomplete="current-password"' in html
    assert "使用政务服务账号登录" not in html


def test_login_page_in_english_on_request(client: Client) -> None:
    client.cookies["django_language"] = "en"
    html = client.post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert "Enter your username" in html
    assert "Department officers, platform operators and auditors" in html


def test_header_links_to_login_and_offers_logout_when_signed_in(client: Client) -> None:
    assert 'href="/accounts/login/"' in client.get("/").content.decode()
    client.force_login(make_user("subject"))
    html = client.get("/").content.decode()
    assert 'action="/accounts/logout/"' in html
    assert 'href="/accounts/login/"' not in html


def test_post_without_csrf_token_is_refused() -> None:
    user = make_user("subject")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 403
    assert "_auth_user_id" not in strict.session


def test_subject_signs_in_with_password_only(client: Client) -> None:
    user = make_user("subject")
    response = login(client, user.username, next_url="/search/")
    assert response.status_code == 302
    assert response["Location"] == "/search/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/search/").status_code == 200


def test_offsite_next_is_ignored(client: Client) -> None:
    user = make_user("subject")
    assert login(client, user.username, next_url="https://evil.example/")["Location"] == "/"


def test_wrong_password_keeps_username_says_why_and_does_not_echo_password(client: Client) -> None:
    user = make_user("subject")
    response = client.post(LOGIN, {"username": user.username, "password": "wrong-Password-1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码不正确" in html
    assert f'value="{user.username}"' in html
    assert "wrong-Password-1" not in html
    assert "_auth_user_id" not in client.session


def test_missing_fields_are_named_next_to_the_fields(client: Client) -> None:
    html = client.post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert 'id="id_username_error"' in html
    assert "请输入用户名" in html
    assert 'id="id_password_error"' in html
    assert "请输入密码" in html
    assert 'aria-invalid="true"' in html


def test_logout_is_post_only(client: Client) -> None:
    client.force_login(make_user("subject"))
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


# --- the second factor -----------------------------------------------------------------------

@pytest.mark.parametrize("role", ["officer", "operator", "auditor"])
def test_staff_without_device_is_sent_to_enrolment_and_reaches_nothing(client: Client,
                                                                       role: str) -> None:
    user = make_user(role)
    response = login(client, user.username, next_url="/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/totp/setup/?next=%2Fadmin%2F"
    for path in ["/admin/", "/admin/catalog/department/", "/quality/", "/officer/queue/", "/"]:
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert blocked["Location"].startswith("/accounts/totp/setup/"), path
    assert client.post("/admin/catalog/department/add/", {"code": "x"}).status_code == 302


def test_officer_enrols_with_a_code_then_reaches_the_admin(client: Client) -> None:
    user = make_user("officer")
    login(client, user.username)
    secret = enrol_secret(client)
    page = client.get("/accounts/totp/setup/").content.decode()
    assert otp.grouped(secret) in page
    assert "otpauth://totp/" in page
    assert "<svg" in page
    wrong = client.post("/accounts/totp/setup/", {"code": wrong_code(secret)})
    assert "验证码不正确" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    done = client.post("/accounts/totp/setup/?next=/admin/", {"code": otp.code_at(secret, timezone.now()),
                                                             "next": "/admin/"})
    assert done.status_code == 302
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert otp.has_device(user)
    assert otp.ENROL_SESSION_KEY not in client.session


def test_officer_with_device_needs_a_code_after_the_password(client: Client) -> None:
    user = make_user("officer")
    issued = accounts.issue_totp(user.username, actor="test")
    response = login(client, user.username, next_url="/admin/")
    assert response["Location"] == "/accounts/totp/?next=%2Fadmin%2F"
    assert client.get("/admin/")["Location"] == "/accounts/totp/?next=%2Fadmin%2F"
    # enrolling anew is no way around the device already bound
    assert client.get("/accounts/totp/setup/")["Location"].startswith("/accounts/totp/")
    session_before = client.session.session_key
    ok = client.post("/accounts/totp/", {"code": otp.code_at(issued.secret, timezone.now()), "next": "/admin/"})
    assert ok.status_code == 302
    assert ok["Location"] == "/admin/"
    assert client.session.session_key != session_before  # the privilege change rotates the session
    assert client.get("/admin/").status_code == 200


def test_a_code_is_accepted_once() -> None:
    user = make_user("auditor")
    issued = accounts.issue_totp(user.username, actor="test")
    code = otp.code_at(issued.secret, timezone.now())
    first, second = Client(), Client()
    login(first, user.username)
    assert first.post("/accounts/totp/", {"code": code})["Location"] == "/admin/"
    login(second, user.username)
    replay = second.post("/accounts/totp/", {"code": code})
    assert replay.status_code == 200
    assert "该验证码已经用过" in replay.content.decode()
    assert second.get("/admin/").status_code == 302


def test_code_steps_window_and_replay_at_the_service() -> None:
    user = make_user("operator")
    secret = accounts.issue_totp(user.username, actor="test").secret
    t0 = timezone.now().replace(microsecond=0)
    step = timedelta(seconds=otp.STEP_SECONDS)
    assert otp.verify(user, otp.code_at(secret, t0 - 3 * step), now=t0) is otp.Check.WRONG  # too old
    assert otp.verify(user, otp.code_at(secret, t0 - step), now=t0) is otp.Check.OK  # drift: one step back
    assert otp.verify(user, otp.code_at(secret, t0 - step), now=t0) is otp.Check.REUSED
    assert otp.verify(user, otp.code_at(secret, t0), now=t0) is otp.Check.OK
    assert otp.verify(user, otp.code_at(secret, t0 - step), now=t0) is otp.Check.REUSED  # earlier than the last
    assert otp.verify(user, otp.code_at(secret, t0 + step), now=t0) is otp.Check.OK  # one step ahead
    assert otp.verify(user, "12345", now=t0) is otp.Check.WRONG


def test_secret_is_stored_encrypted() -> None:
    user = make_user("officer")
    secret = accounts.issue_totp(user.username, actor="test").secret
    stored = bytes(user.totp_device.secret)
    assert secret.encode() not in stored
    assert otp._open(stored) == secret


def test_superuser_made_by_createsuperuser_needs_the_code_too(client: Client) -> None:
    root = User.objects.create_superuser("root", "root@example.cn", PASSWORD)
    assert root.role == "subject"  # createsuperuser knows nothing of roles: still a staff account
    login(client, "root")
    assert client.get("/admin/")["Location"].startswith("/accounts/totp/setup/")


def test_staff_session_without_the_code_cannot_read_the_api(client: Client) -> None:
    client.force_login(make_user("officer"))
    response = client.get("/api/v1/subjects/91330106MA2B3C4D5E")
    assert response.status_code == 401
    assert response.json()["code"] == "second_factor_required"


def test_subject_needs_no_code_and_is_refused_on_staff_paths(client: Client) -> None:
    client.force_login(make_user("subject"))
    assert client.get("/").status_code == 200
    assert client.get("/accounts/totp/")["Location"] == "/"
    assert client.get("/admin/", follow=True).status_code == 403
    assert client.get("/quality/").status_code == 403


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/?next=/admin/", "/quality/", "/officer/queue/"])
def test_anonymous_visitors_of_staff_paths_go_to_our_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_admin_login_sends_a_verified_staff_account_on_and_refuses_others() -> None:
    staff = verified_client(make_user("operator"))
    assert staff.get("/admin/login/?next=/admin/catalog/")["Location"] == "/admin/catalog/"
    auditor = make_user("auditor")
    User.objects.filter(pk=auditor.pk).update(is_staff=False)
    no_back_office = verified_client(User.objects.get(pk=auditor.pk))
    assert no_back_office.get("/admin/login/?next=/admin/").status_code == 403


def test_self_enrolment_can_be_switched_off(client: Client,
                                            settings: pytest.FixtureRequest) -> None:
    settings.PUBCREDIT_TOTP_SELF_ENROL = False  # type: ignore[attr-defined]
    login(client, make_user("officer").username)
    page = client.get("/accounts/totp/setup/")
    assert page.status_code == 403
    assert "请联系平台运营人员" in page.content.decode()


def test_disabled_account_is_signed_out_at_its_next_request() -> None:
    user = make_user("operator")
    client = verified_client(user)
    assert client.get("/admin/").status_code == 200
    accounts.disable_account(user.username, actor="test")
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")
