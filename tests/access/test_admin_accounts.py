"""The back-office's accounts, government application list, query log and API tokens: changes go
through the services (checked, audited, Art. 27, 38, 39); an officer sees only their own
department's rows (Art. 14)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from pubcredit.access import accounts, tokens
from pubcredit.access import services as access_services
from pubcredit.access.models import ApiToken, Matter, QueryLog, User
from pubcredit.audit.models import AuditEntry
from pubcredit.errors import Conflict, NotPermitted
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


# --- who changes which account (only the operator changes rights; officers their department's) ---


def _account_perms(user: User, *codenames: str) -> User:
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="access",
                                                        codename__in=codenames or ["view_user", "change_user"]))
    return user


def test_an_officer_given_change_user_cannot_raise_its_own_rights() -> None:
    officer = _account_perms(make_user("officer", "climbing-officer"))
    client = verified_client(officer)
    url = reverse("admin:access_user_change", args=[officer.pk])
    form = client.get(url).context["adminform"].form
    assert not {"role", "department", "is_superuser", "groups", "user_permissions"} & set(form.fields)
    data = _form_data(client, url)
    data.update({"role": "operator", "department": "", "is_superuser": "on",
                 "user_permissions": [str(p.pk) for p in Permission.objects.all()]})
    client.post(url, data)
    officer.refresh_from_db()
    assert (officer.role, officer.is_superuser, officer.user_permissions.count()) == ("officer", False, 2)
    assert officer.department_id is not None
    # The service refuses it too, whoever calls it.
    for change in ({"role": "operator", "department": None}, {"superuser": True},
                   {"permissions": list(Permission.objects.all())}):
        with pytest.raises(NotPermitted) as refused:
            accounts.update_account(officer, actor="test", by=officer, **change)
        assert refused.value.message.startswith("只有平台运营人员可以修改账号的")
    officer.refresh_from_db()
    assert (officer.role, officer.is_superuser, officer.user_permissions.count()) == ("officer", False, 2)
    assert not [e for e in _events("user", str(officer.pk)) if e.event == "access:account:updated"]


def test_an_officer_changes_its_own_departments_officers_but_not_their_rights() -> None:
    officer = _account_perms(make_user("officer", "dept-officer"))
    colleague = make_user("officer", "dept-colleague", department=officer.department)
    client = verified_client(officer)
    url = reverse("admin:access_user_change", args=[colleague.pk])
    data = _form_data(client, url)
    data.pop("is_active", None)
    data["email"] = "colleague@example.cn"
    assert client.post(url, data).status_code == 302
    colleague.refresh_from_db()
    assert (colleague.is_active, colleague.email) == (False, "colleague@example.cn")
    events = {e.event: e for e in _events("user", str(colleague.pk))}
    assert events["access:account:disabled"].actor == "admin:dept-officer"
    assert events["access:account:updated"].data["changed"] == ["email"]
    with pytest.raises(NotPermitted):
        accounts.update_account(colleague, actor="test", by=officer,
                                permissions=[Permission.objects.get(codename="change_user")])


def test_nobody_raises_its_own_rights_not_even_the_operator() -> None:
    operator = _account_perms(make_user("operator", "self-raising-op"), "view_user", "change_user")
    with pytest.raises(NotPermitted):
        accounts.update_account(operator, actor="test", by=operator, superuser=True)
    with pytest.raises(NotPermitted):
        accounts.update_account(operator, actor="test", by=operator,
                                permissions=list(Permission.objects.filter(codename="delete_user")))
    client = verified_client(operator)
    url = reverse("admin:access_user_change", args=[operator.pk])
    data = _form_data(client, url)
    data["is_superuser"] = "on"
    res = client.post(url, data)
    assert res.status_code == 200
    assert res.context["adminform"].form.errors["is_superuser"] == ["不能提升自己的权限：不能把自己设为超级管理员"]
    operator.refresh_from_db()
    assert not operator.is_superuser
    # Another operator's rights the operator does change.
    other = make_user("operator", "raised-by-op")
    accounts.update_account(other, actor="test", by=operator, superuser=True)
    other.refresh_from_db()
    assert other.is_superuser


def test_an_officer_neither_lists_nor_changes_another_departments_account() -> None:
    officer = _account_perms(make_user("officer", "nosy-officer"))
    victim = make_user("officer", "other-dept-officer")
    assert victim.department_id != officer.department_id
    client = verified_client(officer)
    listed = {u.pk for u in client.get(reverse("admin:access_user_changelist")).context["cl"].result_list}
    assert listed == {officer.pk}
    url = reverse("admin:access_user_change", args=[victim.pk])
    data = _form_data(verified_client(_operator("form-maker")), url)
    data.pop("is_active", None)
    assert client.get(url).status_code == 302  # not found among the accounts it may see
    assert client.post(url, data).status_code == 302
    victim.refresh_from_db()
    assert victim.is_active
    with pytest.raises(NotPermitted):
        accounts.update_account(victim, actor="test", by=officer, is_active=False)
    victim.refresh_from_db()
    assert victim.is_active
    assert not [e for e in _events("user", str(victim.pk)) if e.event == "access:account:disabled"]


def test_an_auditor_lists_every_account_and_changes_none() -> None:
    auditor = _account_perms(make_user("auditor", "reading-auditor"))
    officer = make_user("officer", "audited-officer")
    client = verified_client(auditor)
    listed = {u.pk for u in client.get(reverse("admin:access_user_changelist")).context["cl"].result_list}
    assert {auditor.pk, officer.pk} <= listed
    url = reverse("admin:access_user_change", args=[officer.pk])
    data = _form_data(verified_client(_operator("auditor-form-maker")), url)
    data.pop("is_active", None)
    assert client.post(url, data).status_code == 403
    officer.refresh_from_db()
    assert officer.is_active
    with pytest.raises(NotPermitted):
        accounts.update_account(officer, actor="test", by=auditor, is_active=False)


def test_an_officer_given_add_user_adds_no_account() -> None:
    officer = _account_perms(make_user("officer", "adding-officer"), "view_user", "add_user")
    res = verified_client(officer).post(reverse("admin:access_user_add"), {
        "username": "planted-operator", "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true",
        "role": "operator"})
    assert res.status_code == 403
    assert not User.objects.filter(username="planted-operator").exists()


@pytest.mark.parametrize("role", ["operator", "auditor", "superuser", "other-department"])
def test_an_officer_sets_no_password_but_its_own_departments_officers(role: str) -> None:
    officer = _account_perms(make_user("officer", f"pw-officer-{role}"))
    target = (make_user("operator", f"pw-{role}", superuser=True) if role == "superuser"
              else make_user("officer" if role == "other-department" else role, f"pw-{role}"))
    client = verified_client(officer)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    new = PASSWORD + "-takeover"
    assert client.get(url).status_code == 403
    assert client.post(url, {"password1": new, "password2": new, "usable_password": "true"}).status_code == 403
    assert client.post(url, {"usable_password": "false", "unset-password": "1"}).status_code == 403
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    assert not [e for e in _events("user", str(target.pk)) if e.event == "access:account:password_set"]
    with pytest.raises(NotPermitted):
        accounts.set_password(target, new, actor="test", by=officer)
    # Its own department's officer it does (audited).
    colleague = make_user("officer", f"pw-colleague-{role}", department=officer.department)
    url = reverse("admin:auth_user_password_change", args=[colleague.pk])
    assert client.post(url, {"password1": new, "password2": new, "usable_password": "true"}).status_code == 302
    colleague.refresh_from_db()
    assert colleague.check_password(new)
    [entry] = [e for e in _events("user", str(colleague.pk)) if e.event == "access:account:password_set"]
    assert entry.actor == f"admin:pw-officer-{role}"


def test_the_last_operator_neither_disables_nor_demotes_itself() -> None:
    only = _operator("the-only-operator")
    assert User.objects.filter(role="operator").count() == 1
    client = verified_client(only)
    url = reverse("admin:access_user_change", args=[only.pk])
    data = _form_data(client, url)
    data.pop("is_superuser", None)
    data["role"] = "auditor"
    res = client.post(url, data)
    assert res.status_code == 200
    assert res.context["adminform"].form.errors["role"] == [
        "这是最后一个可用的平台运营人员（或超级管理员）账号，不能停用或降级，否则将无人能管理平台"]
    data = _form_data(client, url)
    data.pop("is_active", None)
    res = client.post(url, data)
    assert res.status_code == 200
    assert res.context["adminform"].form.errors["is_active"]
    only.refresh_from_db()
    assert (only.role, only.is_superuser, only.is_active) == ("operator", True, True)
    for change in ({"role": "auditor", "superuser": False}, {"is_active": False}):
        with pytest.raises(Conflict):
            accounts.update_account(only, actor="test", by=only, **change)
        with pytest.raises(Conflict):
            accounts.update_account(only, actor="cli", by=None, **change)
    only.refresh_from_db()
    assert (only.role, only.is_superuser, only.is_active) == ("operator", True, True)
    assert [e.event for e in _events("user", str(only.pk)) if e.event.startswith("access:account:")] == [
        "access:account:created"]
    # With another operator it may step down (audited).
    make_user("operator", "the-next-operator")
    accounts.update_account(only, actor="test", by=only, role="auditor", superuser=False)
    only.refresh_from_db()
    assert (only.role, only.is_superuser) == ("auditor", False)
    assert [e.event for e in _events("user", str(only.pk))][-1] == "access:account:updated"


# --- revoking API tokens (the change permission; auditors only read) ---


def _revoke(user: User, token: ApiToken) -> Any:
    return verified_client(user).post(reverse("admin:access_apitoken_changelist"), {
        "action": "revoke_selected", "_selected_action": [str(token.pk)], "index": "0"})


def test_a_view_only_officer_revokes_no_token() -> None:
    officer = make_user("officer", "token-viewer")
    officer.user_permissions.set(Permission.objects.filter(codename="view_apitoken"))
    issued = tokens.create_department_token(officer.department, name="本部门系统", actor="test")
    assert _revoke(officer, issued.token).status_code in (200, 302)  # the list again: no such action
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None


@pytest.mark.parametrize("codenames", [["view_apitoken"], ["view_apitoken", "change_apitoken"]])
def test_an_auditor_revokes_no_token(codenames: list[str]) -> None:
    auditor = make_user("auditor", f"token-auditor-{len(codenames)}")
    auditor.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    issued = tokens.create_department_token(DepartmentFactory(), name="他部门系统", actor="test")
    assert _revoke(auditor, issued.token).status_code in (200, 302)
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None


def test_an_officer_with_change_apitoken_revokes_only_its_own_departments_tokens() -> None:
    officer = make_user("officer", "token-changer")
    officer.user_permissions.set(Permission.objects.filter(codename__in=["view_apitoken", "change_apitoken"]))
    own = tokens.create_department_token(officer.department, name="本部门系统", actor="test")
    other = tokens.create_department_token(DepartmentFactory(), name="他部门系统", actor="test")
    _revoke(officer, other.token)
    assert ApiToken.objects.get(pk=other.token.pk).revoked_at is None
    _revoke(officer, own.token)
    assert ApiToken.objects.get(pk=own.token.pk).revoked_at is not None


@pytest.mark.parametrize("name", ["两行\n名称", "x" * 300, "\u202e反向"])
def test_odd_token_names_are_answered_not_a_500(name: str) -> None:
    res = verified_client(_operator(f"token-names-{len(name)}")).post(
        reverse("admin:access_apitoken_add"), {"name": name, "department": str(DepartmentFactory().pk)})
    assert res.status_code in (200, 302)
