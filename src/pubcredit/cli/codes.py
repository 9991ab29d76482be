"""``pubcredit codes check CODE...``: validate USCCs (GB 32100) and resident ID numbers (GB 11643).

Prints one line per code: ``OK`` with what the code says, or ``INVALID`` with the reason.
Exit status 2 if any code is invalid. Needs no database.
"""

from __future__ import annotations

import argparse
from datetime import date

from pubcredit.codes import CodeError, mask_resident_id, validate_resident_id, validate_uscc
from pubcredit.codes.identify import identify_code


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("codes", help="validate codes", description=__doc__)
    codes_sub = p.add_subparsers(dest="codes_command", metavar="ACTION", required=True)
    check = codes_sub.add_parser("check", help="validate one or more codes", description=__doc__)
    check.add_argument("code", nargs="+", help="an 18-character USCC or resident ID number")
    check.add_argument("--kind", choices=["auto", "uscc", "resident_id"], default="auto",
                       help="what the codes are (default: decide by shape)")
    check.set_defaults(func=run)


def _check_one(code: str, kind: str, today: date) -> tuple[bool, str]:
    text = code.strip().upper()
    try:
        if kind == "auto":
            kind = identify_code(text, today=today).kind
        if kind == "resident_id":
            info = validate_resident_id(text, today=today)
            sex = "男" if info.sex == "M" else "女"
            notes = "".join(f"；注意：{w.message}" for w in info.warnings)
            return True, (f"OK  身份证号码 {mask_resident_id(info.code)} 地区 {info.region_code} "
                          f"出生 {info.birth_date.isoformat()} {sex}{notes}")
        u = validate_uscc(text)
        notes = "".join(f"；注意：{w.message}" for w in u.warnings)
        return True, f"OK  统一社会信用代码 {u.code} 登记管理机关行政区划 {u.region_code}{notes}"
    except CodeError as exc:
        as_person = getattr(exc, "code_kind", kind) == "resident_id"
        shown = mask_resident_id(text) if as_person and len(text) == 18 else text
        return False, f"INVALID  {shown}: {exc}"


def run(args: argparse.Namespace) -> int:
    today = date.today()  # noqa: DTZ011 - the operator's local date is the right "today" here
    ok_all = True
    for code in args.code:
        ok, line = _check_one(code, args.kind, today)
        ok_all &= ok
        print(line)
    return 0 if ok_all else 2
