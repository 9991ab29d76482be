"""Failed-login throttling: per username, per address, per account for codes; locks end on time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from pubcredit.access import accounts, otp, signin, throttle
from pubcredit.access.login_models import LoginThrottle
from pubcredit.access.signin import Outcome
from tests.access.helpers import PASSWORD, make_user, wrong_code

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED = "登录失败次数过多，请 15 分钟后再试"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))


def post_login(client: Client, username: str, password: str) -> tuple[int, str]:
    response = client.post(LOGIN, {"username": username, "password": password})
    return response.status_code, response.content.decode()


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client: Client) -> None:
    user = make_user("subject")
    for _ in range(4):
        status, html = post_login(client, user.username, "not-the-Password-1")
        assert status == 200
        assert "用户名或密码不正确" in html
    status, html = post_login(client, user.username, "not-the-Password-1")
    assert status == 429
    assert LOCKED in html
    status, html = post_login(Client(REMOTE_ADDR="10.9.8.7"), user.username, PASSWORD)
    assert status == 429
    assert LOCKED in html
    assert "_auth_user_id" not in client.session


def test_unknown_usernames_are_counted_like_known_ones(client: Client) -> None:
    for _ in range(5):
        status, _html = post_login(client, "nobody-here", "whatever-Pass-1")
    assert status == 429


def test_a_success_clears_the_username_count(client: Client) -> None:
    user = make_user("subject")
    for _ in range(4):
        post_login(client, user.username, "not-the-Password-1")
    assert post_login(client, user.username, PASSWORD)[0] == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert post_login(client, user.username, "not-the-Password-1")[0] == 200


def test_one_address_is_limited_across_usernames(client: Client, settings: pytest.FixtureRequest) -> None:
    settings.PUBCREDIT_LOGIN_THROTTLE = {"ip": {"failures": 3, "window": 900, "lockout": 900}}  # type: ignore[attr-defined]
    user = make_user("subject")
    for name in ("a1", "a2", "a3"):
        post_login(client, name, "whatever-Pass-1")
    assert post_login(client, user.username, PASSWORD)[0] == 429
    assert post_login(Client(REMOTE_ADDR="192.0.2.10"), user.username, PASSWORD)[0] == 302


def test_lock_holds_for_its_period_then_ends() -> None:
    user = make_user("subject")
    request = RequestFactory().post(LOGIN)
    for i in range(5):
        result = signin.check_password(request, user.username, "wrong-Password-1", ip="10.0.0.1",
                                       now=T0 + timedelta(seconds=10 * i))
    assert result.outcome is Outcome.LOCKED
    lock_end = T0 + timedelta(seconds=40) + timedelta(minutes=15)
    assert result.locked_until == lock_end
    still = signin.check_password(request, user.username, PASSWORD, ip="10.0.0.2", now=lock_end - timedelta(seconds=1))
    assert still.outcome is Outcome.LOCKED
    after = signin.check_password(request, user.username, PASSWORD, ip="10.0.0.2", now=lock_end + timedelta(seconds=1))
    assert after.outcome is Outcome.OK
    assert after.user == user


def test_failures_spread_beyond_the_window_do_not_lock() -> None:
    for i in range(8):
        until = throttle.record_failure(throttle.USERNAME, "slow", now=T0 + timedelta(minutes=4 * i))
        assert until is None, i  # never five within 15 minutes


def test_after_a_lock_ends_the_count_starts_afresh() -> None:
    for i in range(5):
        throttle.record_failure(throttle.USERNAME, "again", now=T0 + timedelta(seconds=i))
    later = T0 + timedelta(minutes=16)
    assert throttle.locked_until([(throttle.USERNAME, "again")], now=later) is None
    assert throttle.record_failure(throttle.USERNAME, "again", now=later) is None
    assert LoginThrottle.objects.get(scope="username", key="again").failures == 1


def test_usernames_differing_in_case_share_a_count() -> None:
    for name in ("Alice", "ALICE", "alice ", "aLiCe", "alice"):
        until = throttle.record_failure(throttle.USERNAME, name, now=T0)
    assert until is not None


def test_wrong_codes_lock_the_second_step(client: Client) -> None:
    user = make_user("officer")
    secret = accounts.issue_totp(user.username, actor="test").secret
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    wrong = wrong_code(secret)
    for _ in range(4):
        assert client.post("/accounts/totp/", {"code": wrong}).status_code == 200
    locked = client.post("/accounts/totp/", {"code": wrong})
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    right = client.post("/accounts/totp/", {"code": otp.code_at(secret, timezone.now())})
    assert right.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_code_lock_ends_after_its_period() -> None:
    user = make_user("auditor")
    secret = accounts.issue_totp(user.username, actor="test").secret
    for i in range(5):
        result = signin.check_code(user, wrong_code(secret, T0), ip="10.0.0.1", now=T0 + timedelta(seconds=i))
    assert result.outcome is Outcome.LOCKED
    later = T0 + timedelta(minutes=16)
    assert signin.check_code(user, otp.code_at(secret, later), ip="10.0.0.1", now=later).outcome is Outcome.OK
