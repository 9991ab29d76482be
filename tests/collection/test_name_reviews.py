"""Names that contradict the code already known are flagged, not silently merged (issue #3 item 3).

Compared after NFKC and whitespace normalisation, against the known name, former names and open
reviews; the names rows give related subjects (legal representatives…) are reviewed too; an
officer resolves a review (renamed / kept), audited, and renaming a subject closes its reviews.
"""

from __future__ import annotations

from typing import Any

import pytest

from pubcredit.audit.models import AuditEntry
from pubcredit.catalog.models import Department
from pubcredit.collection import services
from pubcredit.collection.models import NameReview
from pubcredit.errors import Conflict, InvalidInput
from pubcredit.subjects import services as subject_services
from pubcredit.subjects.models import NameChange, SubjectRelation
from tests.collection.conftest import ACTOR, penalty_row, submit
from tests.collection.test_relations_lifecycle import licensing_row
from tests.factories import subjects as f


def _flagged(**filters: Any) -> list[tuple[str, str]]:
    return list(NameReview.objects.filter(**filters).order_by("pk").values_list("submitted_name", "known_name"))


# --- comparison ---------------------------------------------------------------------------------


def test_open_review_is_not_duplicated_for_a_full_width_spelling_of_the_same_name(dept: Department) -> None:
    """"once per subject and name while open", names compared after NFKC normalisation: the same
    contradicting name typed with half-width brackets opens no second review."""
    company = f.org("杭州甲科技有限公司")
    first = submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州乙贸易有限公司（滨江）")])
    assert NameReview.objects.filter(batch=first).count() == 1
    again = submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州乙贸易有限公司(滨江)"),
                          penalty_row(company.uscc, CF_XDR_MC="杭州乙贸易有限公司（滨江）　")])
    assert again.accepted == 2
    assert not NameReview.objects.filter(batch=again).exists(), _flagged(subject=company)


def test_former_name_in_another_width_is_not_a_contradiction(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司（滨江）")
    subject_services.rename(company, "杭州丙科技有限公司", actor=ACTOR)
    batch = submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州甲科技有限公司(滨江)")])
    assert batch.accepted == 1
    assert _flagged(batch=batch) == []


def test_a_relation_naming_a_known_person_by_another_name_is_flagged(dept: Department) -> None:
    """A licensing row names legal representative 李四 with the ID of the registered person 张三:
    the relation is recorded, the person keeps the name, and the contradiction is flagged."""
    company = f.org("杭州甲公司")
    rid = f.resident_id()
    person = f.person("张三", code=rid)
    batch = submit(dept, [licensing_row(company.uscc, "李四", rid)], entry="licensing-scjg")
    assert batch.accepted == 1
    assert SubjectRelation.objects.filter(organization=company, related=person, role="legal_rep").exists()
    person.refresh_from_db()
    assert person.name == "张三"
    assert _flagged(subject=person) == [("李四", "张三")]
    # Sent again, the open review is not repeated.
    submit(dept, [licensing_row(company.uscc, "李四", f"{rid[:-1]}{rid[-1].lower()}")], entry="licensing-scjg")
    assert NameReview.objects.filter(subject=person).count() == 1


def test_a_new_person_named_twice_with_two_names_in_one_batch_is_flagged_once(dept: Department) -> None:
    company, other = f.org("杭州甲公司"), f.org("杭州乙公司")
    rid = f.resident_id()
    rows = [licensing_row(company.uscc, "王五", rid), licensing_row(other.uscc, "王武", rid, XK_XDR_MC="杭州乙公司")]
    assert submit(dept, rows, entry="licensing-scjg").accepted == 2
    assert _flagged(known_name="王五") == [("王武", "王五")]


# --- resolution ---------------------------------------------------------------------------------


def test_renaming_a_subject_closes_its_open_reviews(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    batch = submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州乙贸易有限公司")])
    review = NameReview.objects.get(batch=batch)
    subject_services.rename(company, "杭州乙贸易有限公司", actor=ACTOR)
    review.refresh_from_db()
    assert review.resolved_at is not None
    assert (review.resolution, review.resolved_by) == ("renamed", ACTOR)
    assert "杭州乙贸易有限公司" in review.note


def test_resolving_as_renamed_renames_the_subject_and_is_audited(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    batch = submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州乙贸易有限公司")])
    other = submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州丁贸易有限公司")])
    review = NameReview.objects.get(batch=batch)
    services.resolve_name_review(review, resolution="renamed", department=dept, note="经核营业执照已更名", actor=ACTOR)
    company.refresh_from_db()
    assert company.name == "杭州乙贸易有限公司"
    assert NameChange.objects.filter(subject=company, old_name="杭州甲科技有限公司").exists()
    review.refresh_from_db()
    assert (review.resolution, review.resolved_by, review.note) == ("renamed", ACTOR, "经核营业执照已更名")
    # The subject's other open review closed with the rename.
    assert NameReview.objects.get(batch=other).resolved_at is not None
    entry = AuditEntry.objects.get(event="collection:name_review:resolved", object_id=str(review.pk))
    assert (entry.subject_id, entry.data["resolution"]) == (company.pk, "renamed")
    # The former name is no contradiction any more; resolving twice is refused.
    assert _flagged(batch=submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州甲科技有限公司")])) == []
    with pytest.raises(Conflict):
        services.resolve_name_review(review.pk, resolution="kept", department=dept, actor=ACTOR)


def test_resolving_as_kept_leaves_the_name(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    review = NameReview.objects.get(batch=submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州乙公司")]))
    services.resolve_name_review(review.pk, resolution="kept", department=dept, note="报送单位填错", actor=ACTOR)
    company.refresh_from_db()
    review.refresh_from_db()
    assert company.name == "杭州甲科技有限公司"
    assert (review.resolution, review.note) == ("kept", "报送单位填错")
    # Once resolved, the same name sent again is flagged anew (the department keeps sending it).
    assert _flagged(batch=submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州乙公司")])) == [
        ("杭州乙公司", "杭州甲科技有限公司")]
    with pytest.raises(InvalidInput):
        services.resolve_name_review(review.pk, resolution="merged", department=dept, actor=ACTOR)


def test_the_back_office_resolves_a_review_with_a_note(dept: Department) -> None:
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    from tests.access.helpers import make_user

    company = f.org("杭州甲科技有限公司")
    review = NameReview.objects.get(batch=submit(dept, [penalty_row(company.uscc, CF_XDR_MC="杭州乙公司")]))
    request = RequestFactory().post("/", {"note": "已电话核实"})
    request.user = make_user("operator", "review-op", superuser=True)
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    model_admin = admin.site._registry[NameReview]
    actions = model_admin.get_actions(request)
    assert {"rename_action", "keep_action"} <= set(actions)
    assert "delete_selected" not in actions
    func = actions["keep_action"][0]
    func(model_admin, request, NameReview.objects.filter(pk=review.pk))
    review.refresh_from_db()
    assert (review.resolution, review.resolved_by, review.note) == ("kept", "admin:review-op", "已电话核实")
    # An account without the permission is not offered the actions.
    plain = RequestFactory().get("/")
    plain.user = make_user("auditor", "review-auditor")
    assert not {"rename_action", "keep_action"} & set(model_admin.get_actions(plain))
