"""Demo accounts, one per role that exists so far, printed by ``pubcredit demo``."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import transaction

from pubcredit.access.models import Role, User
from pubcredit.catalog.models import Department
from pubcredit.subjects.models import Subject, SubjectKind


@dataclass(frozen=True)
class DemoLogin:
    role_label: str
    username: str
    password: str
    note: str
    totp_secret: str = ""


def _demo_totp(username: str) -> str:
    """Staff roles need a second factor (TOTP). The demo enrols one per staff account once and
    keeps its secret in var/demo-totp.json (local, git-ignored) so later demos can print it."""
    from pubcredit.access import accounts, otp
    from pubcredit.devdb import VAR_DIR

    store = VAR_DIR / "demo-totp.json"
    known: dict[str, str] = json.loads(store.read_text()) if store.exists() else {}
    user = User.objects.get(username=username)
    if username in known and otp.has_device(user):
        return known[username]
    issued = accounts.issue_totp(username, actor="pubcredit demo", reset=otp.has_device(user))
    known[username] = issued.secret
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(known))
    store.chmod(0o600)
    return issued.secret


OFFICER_PERMS = ["view_subject", "view_subjectrelation", "view_record", "view_catalogentry", "view_catalogversion",
                 "view_department", "view_calendarday", "view_scheduleyear"]


@transaction.atomic
def ensure_demo_logins() -> list[DemoLogin]:
    """Create the demo accounts if missing (idempotent); return their logins."""
    out: list[DemoLogin] = []
    operator, created = User.objects.get_or_create(
        username="operator", defaults={"role": Role.OPERATOR, "is_staff": True, "is_superuser": True})
    if created:
        operator.set_password("Demo-operator-2026")
        operator.save()
    out.append(DemoLogin("平台运营", "operator", "Demo-operator-2026", "管理后台 /admin/ (all rights)",
                         _demo_totp("operator")))

    dept = Department.objects.filter(code="hz-scjgj").first() or Department.objects.order_by("code").first()
    officer, created = User.objects.get_or_create(
        username="officer", defaults={"role": Role.OFFICER, "is_staff": True, "department": dept})
    if created:
        officer.set_password("Demo-officer-2026")
        officer.save()
        officer.user_permissions.set(Permission.objects.filter(codename__in=OFFICER_PERMS))
    note = f"{officer.department.name if officer.department else ''} (read-only back-office)"
    out.append(DemoLogin("部门工作人员", "officer", "Demo-officer-2026", note, _demo_totp("officer")))

    company = Subject.objects.filter(kind=SubjectKind.LEGAL_PERSON).order_by("id").first()
    if company is not None:
        account, created = User.objects.get_or_create(
            username="company", defaults={"role": Role.SUBJECT, "subject": company})
        if created:
            account.set_password("Demo-company-2026")
            account.save()
        out.append(DemoLogin("信用主体", "company", "Demo-company-2026", f"{company.name} {company.uscc}"))
    return out
