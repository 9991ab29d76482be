"""The back-office's accounts, government application list, query log and API tokens: changes go
through the services (checked, audited, Art. 27, 38, 39); an officer sees only their own
department's rows (Art. 14)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from pubcredit.access import services as access_services
from pubcredit.access.models import ApiToken, Matter, QueryLog, User
from pubcredit.audit.models import AuditEntry
from tests.access.helpers import PASSWORD, make_user, verified_client
from tests.factories import subjects as f
from tests.factories.catalog import CatalogEntryFactory, DepartmentFactory

pytestmark = pytest.mark.django_db


def _form_data(client: Any, url: str) -> dict[str, Any]:
    """What the change (or add) form at ``url`` would send back unchanged."""
    res = client.get(url)
    assert res.status_code == 200
    form = res.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or field.disabled:
            continue
        widget = field.widget
        if hasattr(widget, "widgets") and hasattr(widget, "decompress"):
            for i, part in enumerate(widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    return data


def _events(object_type: str, object_id: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("id"))


def _operator(username: str) -> User:
    return make_user("operator", username, superuser=True)


# --- the government application list (Art. 27) ---


def test_a_matter_changed_in_the_back_office_is_audited_with_its_old_and_new_content() -> None:
    dept = DepartmentFactory()
    first = CatalogEntryFactory(code="matter-entry-a", department=dept)
    second = CatalogEntryFactory(code="matter-entry-b", department=dept)
    matter = access_services.define_matter(department=dept, code="M-ADMIN-1", name="行政许可", legal_basis="某法第一条",
                                           entries=[first], actor="test")
    client = verified_client(_operator("matter-op"))
    url = reverse("admin:access_matter_change", args=[matter.pk])
    data = _form_data(client, url)
    data.update({"entries": [str(first.pk), str(second.pk)], "legal_basis": "另一部法律"})
    res = client.post(url, data)
    assert res.status_code == 302, res.context["adminform"].form.errors
    matter.refresh_from_db()
    assert set(matter.entries.values_list("code", flat=True)) == {"matter-entry-a", "matter-entry-b"}
    [entry] = [e for e in _events("matter", "M-ADMIN-1") if e.event == "access:matter:updated"]
    assert entry.actor == "admin:matter-op"
    assert entry.data["changed"] == ["entries", "legal_basis"]
    assert (entry.data["old"]["legal_basis"], entry.data["new"]["legal_basis"]) == ("某法第一条", "另一部法律")
    assert entry.data["old"]["entries"] == ["matter-entry-a"]
    assert entry.data["new"]["entries"] == ["matter-entry-a", "matter-entry-b"]
    assert entry.data["new"]["name"] == "行政许可"


def test_a_matter_change_the_rules_refuse_is_shown_again_and_saves_nothing() -> None:
    dept = DepartmentFactory()
    entry = CatalogEntryFactory(code="matter-entry-c", department=dept)
    matter = access_services.define_matter(department=dept, code="M-ADMIN-2", name="行政许可", legal_basis="某法",
                                           entries=[entry], actor="test")
    client = verified_client(_operator("matter-op2"))
    url = reverse("admin:access_matter_change", args=[matter.pk])
    data = _form_data(client, url)
    data["legal_basis"] = "   "
    res = client.post(url, data)
    assert res.status_code == 200
    assert res.context["adminform"].form.errors["legal_basis"]
    assert Matter.objects.get(pk=matter.pk).legal_basis == "某法"
    assert not [e for e in _events("matter", "M-ADMIN-2") if e.event == "access:matter:updated"]


def test_update_matter_writes_nothing_when_nothing_changed() -> None:
    dept = DepartmentFactory()
    entry = CatalogEntryFactory(code="matter-entry-d", department=dept)
    matter = access_services.define_matter(department=dept, code="M-ADMIN-3", name="行政许可", legal_basis="某法",
                                           entries=[entry], actor="test")
    access_services.update_matter(matter, name=" 行政许可 ", legal_basis="某法", entries=[entry], published=True,
                                  actor="test")
    assert [e.event for e in _events("matter", "M-ADMIN-3")] == ["access:matter:defined"]


# --- accounts (the same checks and audit entries as ``pubcredit users``) ---


def test_an_operator_made_superuser_in_the_back_office_is_audited() -> None:
    operator = make_user("operator", "plain-operator")
    client = verified_client(_operator("users-op"))
    url = reverse("admin:access_user_change", args=[operator.pk])
    data = _form_data(client, url)
    data["is_superuser"] = "on"
    res = client.post(url, data)
    assert res.status_code == 302, res.context["adminform"].form.errors
    operator.refresh_from_db()
    assert operator.is_superuser
    [entry] = [e for e in _events("user", str(operator.pk)) if e.event == "access:account:updated"]
    assert entry.actor == "admin:users-op"
    assert entry.data["changed"] == ["is_superuser"]
    assert (entry.data["old"]["is_superuser"], entry.data["new"]["is_superuser"]) == (False, True)


def test_the_back_office_cannot_make_an_officer_a_superuser() -> None:
    officer = make_user("officer", "officer-not-super")
    client = verified_client(_operator("users-op2"))
    url = reverse("admin:access_user_change", args=[officer.pk])
    data = _form_data(client, url)
    data["is_superuser"] = "on"
    res = client.post(url, data)
    assert res.status_code == 200  # the form again, with its error
    assert res.context["adminform"].form.errors["is_superuser"] == ["只有平台运营人员可以是超级管理员"]
    officer.refresh_from_db()
    assert not officer.is_superuser
    assert not [e for e in _events("user", str(officer.pk)) if e.event == "access:account:updated"]


def test_an_account_changed_in_the_back_office_is_checked_and_audited_field_by_field() -> None:
    officer = make_user("officer", "officer-moved")
    other = DepartmentFactory(code="moved-to")
    client = verified_client(_operator("users-op3"))
    url = reverse("admin:access_user_change", args=[officer.pk])
    data = _form_data(client, url)
    data.update({"role": "auditor", "department": ""})
    data.pop("is_active", None)  # disabled in the same change
    data["user_permissions"] = [str(Permission.objects.get(codename="view_querylog").pk)]
    res = client.post(url, data)
    assert res.status_code == 302, res.context["adminform"].form.errors
    officer.refresh_from_db()
    assert (officer.role, officer.department_id, officer.is_active, officer.is_staff) == ("auditor", None, False, True)
    events = {e.event: e for e in _events("user", str(officer.pk))}
    assert "access:account:disabled" in events
    changed = events["access:account:updated"].data
    assert changed["changed"] == ["department", "permissions", "role"]
    assert changed["new"]["permissions"] == ["access.view_querylog"]
    # An officer needs a department: refused, nothing saved.
    data = _form_data(client, url)
    data.update({"role": "officer", "department": ""})
    res = client.post(url, data)
    assert res.status_code == 200
    assert res.context["adminform"].form.errors["department"] == ["部门工作人员必须指定所属部门"]
    data["department"] = str(other.pk)
    data["is_active"] = "on"
    assert client.post(url, data).status_code == 302
    officer.refresh_from_db()
    assert (officer.role, officer.department_id, officer.is_active) == ("officer", other.pk, True)
    assert "access:account:enabled" in {e.event for e in _events("user", str(officer.pk))}


def test_an_account_added_in_the_back_office_is_created_by_the_service_and_audited() -> None:
    client = verified_client(_operator("users-op4"))
    url = reverse("admin:access_user_add")
    data = _form_data(client, url)
    data.update({"username": "new-auditor", "password1": PASSWORD + "x", "password2": PASSWORD + "x",
                 "role": "auditor", "usable_password": "true"})
    res = client.post(url, data)
    assert res.status_code == 302, res.context["adminform"].form.errors
    created = User.objects.get(username="new-auditor")
    assert created.is_staff
    assert created.check_password(PASSWORD + "x")
    [entry] = _events("user", str(created.pk))
    assert (entry.event, entry.actor, entry.data) == ("access:account:created", "admin:users-op4", {"role": "auditor"})


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"role": "operator", "subject": "1"}, "subject", "只有信用主体或信用服务机构账号绑定主体"),
    ({"role": "officer"}, "department", "部门工作人员必须指定所属部门"),
    ({"role": "subject"}, "subject", "信用主体或信用服务机构账号必须绑定主体代码"),
])
def test_an_account_the_rules_refuse_is_not_added(changes: dict[str, str], field: str, message: str) -> None:
    if "subject" in changes:
        changes = {**changes, "subject": str(f.org("杭州账号绑定测试有限公司").pk)}
    client = verified_client(_operator("users-op5"))
    url = reverse("admin:access_user_add")
    data = {"username": "refused-account", "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true",
            **changes}
    res = client.post(url, data)
    assert res.status_code == 200
    assert res.context["adminform"].form.errors[field] == [message]
    assert not User.objects.filter(username="refused-account").exists()


def test_a_password_set_in_the_back_office_is_audited_without_the_password() -> None:
    officer = make_user("officer", "officer-new-password")
    client = verified_client(_operator("users-op6"))
    url = reverse("admin:auth_user_password_change", args=[officer.pk])
    new = PASSWORD + "-new"
    res = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert res.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(new)
    [entry] = [e for e in _events("user", str(officer.pk)) if e.event == "access:account:password_set"]
    assert (entry.actor, entry.data) == ("admin:users-op6", {"usable": True})
    assert new not in json.dumps(entry.data)
    # Disabling password sign-in is audited the same way.
    res = client.post(url, {"usable_password": "false", "unset-password": "1"})
    assert res.status_code == 302
    officer.refresh_from_db()
    assert not officer.has_usable_password()
    assert [e.data for e in _events("user", str(officer.pk)) if e.event == "access:account:password_set"][-1] == {
        "usable": False}


# --- the query log (Art. 14, 33) ---


def _read_by(dept: Any) -> int:
    read = access_services.query_log_insert(subject_id=f.person("钱七").pk, reader_kind="department",
                                            reader_name=dept.name, department_id=dept.pk, levels=["government"],
                                            entries=["x"], purpose="行政处罚调查", channel="web",
                                            actor=f"dept:{dept.code}")
    return access_services.log_query(read)


def test_an_officer_sees_only_their_own_departments_query_log() -> None:
    other = DepartmentFactory(code="log-other")
    officer = make_user("officer", "officer-logs")
    officer.user_permissions.set(Permission.objects.filter(codename="view_querylog"))
    theirs, own = _read_by(other), _read_by(officer.department)
    url = reverse("admin:access_querylog_changelist")
    res = verified_client(officer).get(url)
    assert res.status_code == 200
    assert [r.pk for r in res.context["cl"].result_list] == [own]
    assert verified_client(officer).get(reverse("admin:access_querylog_change", args=[theirs])).status_code == 302
    for everyone in (_operator("logs-op"), make_user("auditor", "logs-auditor")):
        everyone.user_permissions.set(Permission.objects.filter(codename="view_querylog"))
        shown = {r.pk for r in verified_client(everyone).get(url).context["cl"].result_list}
        assert {own, theirs} <= shown
    assert QueryLog.objects.filter(pk=theirs).exists()


# --- API tokens ---


def test_an_officer_issues_tokens_only_for_their_own_department() -> None:
    from pubcredit.access import tokens

    other = DepartmentFactory(code="token-other")
    officer = make_user("officer", "officer-tokens")
    officer.user_permissions.set(Permission.objects.filter(codename__in=["add_apitoken", "view_apitoken"]))
    client = verified_client(officer)
    url = reverse("admin:access_apitoken_add")
    res = client.post(url, {"name": "冒名系统", "department": str(other.pk)})
    assert res.status_code == 200
    assert res.context["adminform"].form.errors["department"]
    assert not ApiToken.objects.filter(department=other).exists()
    assert client.post(url, {"name": "本部门系统", "department": str(officer.department_id)}).status_code == 302
    assert ApiToken.objects.filter(department=officer.department, created_by="admin:officer-tokens").exists()
    # The list holds only the department's own tokens.
    tokens.create_department_token(other, name="他部门系统", actor="test")
    listed = verified_client(officer).get(reverse("admin:access_apitoken_changelist")).context["cl"].result_list
    assert {t.department_id for t in listed} == {officer.department_id}
    # An auditor given the permission issues none.
    auditor = make_user("auditor", "auditor-tokens")
    auditor.user_permissions.set(Permission.objects.filter(codename__in=["add_apitoken", "view_apitoken"]))
    assert verified_client(auditor).get(url).status_code == 403


def test_an_officer_reads_only_its_own_departments_matters_and_changes_none() -> None:
    """Art. 27: the credit office compiles and publishes the application list; an officer with every
    matter permission still sees only its department's matters, and cannot widen them."""
    own, other = DepartmentFactory(code="m-own"), DepartmentFactory(code="m-other")
    entry = CatalogEntryFactory(code="matter-entry-o", department=own)
    mine = access_services.define_matter(department=own, code="M-OWN", name="本部门事项", legal_basis="某法",
                                         entries=[entry], actor="test")
    theirs = access_services.define_matter(department=other, code="M-OTHER", name="他部门事项", legal_basis="某法",
                                           entries=[entry], actor="test")
    officer = make_user("officer", "m-officer", department=own)
    officer.user_permissions.add(*Permission.objects.filter(content_type__app_label="access",
                                                            codename__endswith="_matter"))
    client = verified_client(officer)
    listed = client.get(reverse("admin:access_matter_changelist")).content.decode()
    assert "M-OWN" in listed
    assert "M-OTHER" not in listed
    assert client.get(reverse("admin:access_matter_change", args=[theirs.pk])).status_code in (302, 404)
    assert client.get(reverse("admin:access_matter_add")).status_code == 403
    url = reverse("admin:access_matter_change", args=[mine.pk])
    assert client.post(url, {"name": "改名", "legal_basis": "某法", "entries": [str(entry.pk)]}).status_code == 403
    mine.refresh_from_db()
    assert mine.name == "本部门事项"
