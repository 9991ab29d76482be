"""pubcredit users: platform accounts (roles, authenticators, disabling).

  pubcredit users create --role ROLE [--dept CODE | --subject CODE] USERNAME
                                        create an account; the password is asked twice
                                        (or read from standard input with --password-stdin)
  pubcredit users totp USERNAME [--reset]
                                        bind a new authenticator and print its otpauth:// URI once
  pubcredit users disable USERNAME      disable an account (refused from its next request on)

Roles: subject, officer, agency, operator, auditor. Officers, operators and auditors get the back
office and must give a one-time code (TOTP) after the password: either they enrol on first login,
or an operator binds their authenticator here and hands the URI over in person.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from pubcredit.errors import InvalidInput

ROLES = ["subject", "officer", "agency", "operator", "auditor"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("users", help="accounts: create, bind an authenticator, disable",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmds = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    create = cmds.add_parser("create", help="create an account",
                             description="Create an account. Officers need --dept; subject and agency "
                                         "accounts need --subject (USCC or resident ID of their subject).")
    create.add_argument("username", metavar="USERNAME")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--dept", default="", metavar="CODE", help="the officer's department code")
    create.add_argument("--subject", default="", metavar="CODE", help="the subject's USCC or resident ID")
    create.add_argument("--email", default="")
    create.add_argument("--superuser", action="store_true", help="operators only: every right in the back office")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    create.add_argument("--no-password", action="store_true",
                        help="no usable password: signs in through the identity provider only")
    create.add_argument("--actor", default="", help="who creates it (default: cli:<login name>)")
    create.set_defaults(func=run_create)

    totp = cmds.add_parser("totp", help="bind a new authenticator; print its otpauth:// URI once",
                           description="Bind a new TOTP authenticator to USERNAME and print the secret and "
                                       "its otpauth:// URI once (they are stored only encrypted). An account "
                                       "that already has one keeps it unless --reset (e.g. a lost phone).")
    totp.add_argument("username", metavar="USERNAME")
    totp.add_argument("--reset", action="store_true", help="replace an authenticator already bound")
    totp.add_argument("--actor", default="")
    totp.set_defaults(func=run_totp)

    disable = cmds.add_parser("disable", help="disable an account",
                              description="Disable USERNAME: its sessions end at their next request; "
                                          "password, one-time codes and identity-provider sign-in are refused.")
    disable.add_argument("username", metavar="USERNAME")
    disable.add_argument("--actor", default="")
    disable.set_defaults(func=run_disable)


def _actor(given: str) -> str:
    if given:
        return given
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in a bare container
        return "cli"


def _read_password(args: argparse.Namespace) -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        try:
            password = getpass.getpass("密码 / password: ")
            again = getpass.getpass("再次输入 / again: ")
        except EOFError:  # no terminal and nothing on standard input (a script, a closed pipe)
            raise InvalidInput("没有读到密码：请在终端中输入，或用 --password-stdin 从标准输入读取",
                               field="password") from None
        if again != password:
            raise InvalidInput("两次输入的密码不一致", field="password")
    if not password:
        raise InvalidInput("密码不能为空", field="password")
    return password


def run_create(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.access import accounts

    user = accounts.create_account(
        username=args.username, role=args.role, password=_read_password(args), actor=_actor(args.actor),
        department_code=args.dept, subject_code=args.subject, email=args.email, superuser=args.superuser,
    )
    print(f"已创建账号 {user.username}（{user.get_role_display()}）")
    if user.is_staff:
        print("该账号登录时需输入动态验证码：首次登录时自行绑定，或运行 "
              f"`pubcredit users totp {user.username}` 为其绑定。")
    return 0


def run_totp(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.access import accounts

    issued = accounts.issue_totp(args.username, actor=_actor(args.actor), reset=args.reset)
    print(f"已为 {issued.user.username} 绑定动态口令。以下内容只显示这一次，请当面交给本人录入身份验证器：")
    print(f"密钥 / secret: {issued.secret}")
    print(issued.uri)
    return 0


def run_disable(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.access import accounts

    user = accounts.disable_account(args.username, actor=_actor(args.actor))
    print(f"已停用账号 {user.username}")
    return 0
