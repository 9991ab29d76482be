"""``pubcredit users``: create, bind an authenticator (URI printed once), disable."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone

from pubcredit.access import otp
from pubcredit.access.models import User
from pubcredit.cli import main
from tests.access.helpers import PASSWORD
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory

pytestmark = pytest.mark.django_db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_create_officer_bind_totp_and_disable(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    dept = DepartmentFactory()
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, _ = run(capsys, "users", "create", "--role", "officer", "--dept", dept.code, "--password-stdin",
                       "li.officer")
    assert code == 0
    assert "已创建账号 li.officer（部门工作人员）" in out
    user = User.objects.get(username="li.officer")
    assert (user.role, user.department, user.is_staff, user.is_superuser) == ("officer", dept, True, False)
    assert user.check_password(PASSWORD)

    code, out, _ = run(capsys, "users", "totp", "li.officer")
    assert code == 0
    uris = re.findall(r"otpauth://totp/\S+", out)
    assert len(uris) == 1
    assert "issuer=" in uris[0]
    secret = re.search(r"secret: (\S+)", out)
    assert secret is not None
    assert otp.verify(user, otp.code_at(secret.group(1), timezone.now())) is otp.Check.OK

    code, _, err = run(capsys, "users", "totp", "li.officer")
    assert code == 2
    assert "已绑定动态口令" in err
    assert "--reset" in err
    code, out, _ = run(capsys, "users", "totp", "li.officer", "--reset")
    assert code == 0
    assert secret.group(1) not in out

    code, out, _ = run(capsys, "users", "disable", "li.officer")
    assert code == 0
    assert not User.objects.get(username="li.officer").is_active
    assert run(capsys, "users", "disable", "li.officer")[0] == 2


def test_subject_account_is_bound_to_its_subject(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    company = f.org(name="杭州命令行测试有限公司")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert run(capsys, "users", "create", "--role", "subject", "--subject", company.uscc or "", "--password-stdin",
               "company1")[0] == 0
    user = User.objects.get(username="company1")
    assert user.subject == company
    assert not user.is_staff


@pytest.mark.parametrize(("argv", "reason"), [
    (["--role", "officer", "x1"], "部门工作人员必须指定所属部门"),
    (["--role", "officer", "--dept", "no-such-dept", "x2"], "部门 no-such-dept 不存在"),
    (["--role", "subject", "x3"], "必须绑定主体代码"),
    (["--role", "subject", "--subject", "91330106MA2B3C4D5X", "x4"], "统一社会信用代码无效"),
    (["--role", "auditor", "--superuser", "x5"], "只有平台运营人员可以是超级管理员"),
])
def test_refusals_say_why(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                          argv: list[str], reason: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run(capsys, "users", "create", "--password-stdin", *argv)
    assert code == 2
    assert reason in err
    assert not User.objects.filter(username=argv[-1]).exists()


def test_weak_password_and_taken_username_are_refused(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("12345678\n"))
    code, _, err = run(capsys, "users", "create", "--role", "operator", "--password-stdin", "weak")
    assert code == 2
    assert "password" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert run(capsys, "users", "create", "--role", "operator", "--password-stdin", "ops")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run(capsys, "users", "create", "--role", "operator", "--password-stdin", "OPS")
    assert code == 2
    assert "已被使用" in err


def test_no_terminal_and_nothing_on_standard_input_is_one_line_not_a_traceback(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``pubcredit users create`` run from a script without --password-stdin: getpass meets the end of
    input (EOFError), which was a traceback."""
    def no_input(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("getpass.getpass", no_input)
    code, _, err = run(capsys, "users", "create", "--role", "operator", "scripted")
    assert code == 2
    assert err == "pubcredit: error: password: 没有读到密码：请在终端中输入，或用 --password-stdin 从标准输入读取\n"
    assert not User.objects.filter(username="scripted").exists()
