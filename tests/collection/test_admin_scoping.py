"""Art. 14 in the back-office: an officer sees and resolves only their own department's name
reviews and consents, as with batches and records; the operator and auditors see all."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from pubcredit.catalog.models import Department
from pubcredit.collection import services
from pubcredit.collection.models import NameReview
from pubcredit.errors import NotPermitted
from tests.access.helpers import make_user, verified_client
from tests.collection.conftest import ACTOR, penalty_row, submit
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory

pytestmark = pytest.mark.django_db


def _officer_of(dept: Department, username: str, *codenames: str):  # type: ignore[no-untyped-def]
    officer = make_user("officer", username, department_code=dept.code)
    officer.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return officer


def _listed(user: object, name: str) -> list[int]:
    res = verified_client(user).get(reverse(f"admin:collection_{name}_changelist"))
    assert res.status_code == 200
    return [row.pk for row in res.context["cl"].result_list]


def _review(dept: Department, known: str, submitted: str) -> NameReview:
    company = f.org(known)
    submit(dept, [penalty_row(company.uscc, CF_XDR_MC=submitted)])
    return NameReview.objects.get(subject=company)


def test_an_officer_lists_only_the_name_reviews_of_their_own_departments_batches(dept: Department) -> None:
    review = _review(dept, "杭州原名甲科技有限公司", "杭州报送乙贸易有限公司")
    other = DepartmentFactory(code="review-other")
    assert _listed(_officer_of(other, "reviews-other", "view_namereview"), "namereview") == []
    assert _listed(_officer_of(dept, "reviews-own", "view_namereview"), "namereview") == [review.pk]
    assert review.pk in _listed(make_user("operator", "reviews-op", superuser=True), "namereview")
    auditor = make_user("auditor", "reviews-auditor")
    auditor.user_permissions.set(Permission.objects.filter(codename="view_namereview"))
    assert review.pk in _listed(auditor, "namereview")


def test_an_officer_of_another_department_cannot_rename_a_subject_through_its_review(dept: Department) -> None:
    review = _review(dept, "杭州原名丙科技有限公司", "杭州改名丁贸易有限公司")
    url = reverse("admin:collection_namereview_changelist")
    action = {"action": "rename_action", "_selected_action": [str(review.pk)], "note": "x", "index": "0"}
    other = DepartmentFactory(code="review-other2")
    verified_client(_officer_of(other, "renames-other", "view_namereview", "change_namereview")).post(url, action)
    review.subject.refresh_from_db()
    assert review.subject.name == "杭州原名丙科技有限公司"
    review.refresh_from_db()
    assert review.resolved_at is None
    # The department whose batch flagged it resolves it.
    verified_client(_officer_of(dept, "renames-own", "view_namereview", "change_namereview")).post(url, action)
    review.subject.refresh_from_db()
    assert review.subject.name == "杭州改名丁贸易有限公司"


def test_the_service_refuses_another_departments_review(dept: Department) -> None:
    review = _review(dept, "杭州原名戊科技有限公司", "杭州报送己贸易有限公司")
    other = DepartmentFactory(code="review-other3")
    with pytest.raises(NotPermitted):
        services.resolve_name_review(review.pk, resolution="renamed", department=other, actor=ACTOR)
    review.refresh_from_db()
    assert review.resolved_at is None
    # The operator (no department) resolves any.
    services.resolve_name_review(review.pk, resolution="kept", department=None, actor=ACTOR)
    review.refresh_from_db()
    assert review.resolution == "kept"


def test_an_officer_lists_only_the_consents_their_own_department_recorded(dept: Department) -> None:
    consent = services.record_consent(subject=f.person("赵六"), department=dept, category="property",
                                      document_ref="WS-1", given_on=date(2025, 1, 1), actor=ACTOR)
    other = DepartmentFactory(code="consent-other")
    assert _listed(_officer_of(other, "consents-other", "view_consent"), "consent") == []
    assert _listed(_officer_of(dept, "consents-own", "view_consent"), "consent") == [consent.pk]
    assert consent.pk in _listed(make_user("operator", "consents-op", superuser=True), "consent")
