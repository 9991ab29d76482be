"""Relations of basic-information entries follow their records (issue #3 item 5, Art. 10, 26).

A relation is linked to the record versions naming it: it ends (``until``) when no active record
names it any more (a correction, a revocation); a legal representative or principal is held by
one person at a time; a row about a natural person relates nobody; an unknown branch is an
unincorporated organisation.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from pubcredit.catalog.models import Department
from pubcredit.collection import services
from pubcredit.collection.models import Batch, Record, RecordRelation
from pubcredit.subjects import pii
from pubcredit.subjects.models import Subject, SubjectRelation
from tests.collection.conftest import ACTOR, AUTHORITY_USCC, submit
from tests.factories import subjects as f

_n = iter(range(1, 10**6))


def _reasons(batch: Batch) -> list[tuple[int, str, str]]:
    return list(batch.rejections.order_by("row_number").values_list("row_number", "field", "reason"))


def licensing_row(uscc: str, rep_name: str, rep_id: str, **kw: Any) -> dict[str, Any]:
    n = next(_n)
    row = {"XK_XDR_MC": "杭州甲公司", "XK_XDR_LB": "法人及非法人组织", "XK_XDR_SHXYM": uscc,
           "XK_FRDB": rep_name, "XK_FR_ZJLX": "身份证", "XK_FR_ZJHM": rep_id,
           "XK_XKWS": "准予许可决定书", "XK_WSH": f"杭市监许〔2025〕RL-{n}号", "XK_XKLB": "普通", "XK_NR": "食品经营",
           "XK_JDRQ": "2025-03-03", "XK_YXQZ": "2025-03-03", "XK_YXQZI": "2030-03-01", "XK_XKJG": "杭州市市场监管局",
           "XK_XKJGDM": AUTHORITY_USCC, "XK_ZT": "1", "XK_LYDW": "杭州市市场监管局", "XK_LYDWDM": AUTHORITY_USCC}
    row.update(kw)
    return row


def officer(uscc: str, rid: str, position: str = "董事", name: str = "王五") -> dict[str, Any]:
    return {"uscc": uscc, "person_name": name, "position": position, "person_id_no": rid}


def mask(rid: str) -> str:
    return rid[:6] + "********" + rid[14:]


def _officers(company: Subject) -> list[tuple[str, str]]:
    return sorted(SubjectRelation.objects.filter(organization=company, until__isnull=True)
                  .values_list("related__resident_id_masked", "role"))


def _reps(company: Subject) -> list[str]:
    return sorted(SubjectRelation.objects.filter(organization=company, role="legal_rep", until__isnull=True)
                  .values_list("related__name", flat=True))


# --- corrections and revocations end what only the old version named -------------------------


def test_a_corrected_officer_id_does_not_leave_the_wrong_person_related(dept: Department) -> None:
    """A department corrects the ID of its director 王五 (same natural key, new version): the person
    first named by mistake no longer shows as a current director; the relation is ended, not deleted."""
    company = f.org("杭州甲科技有限公司")
    wrong, right = f.resident_id(), f.resident_id()
    row = officer(company.uscc, wrong)
    assert submit(dept, [row], entry="org-officers").accepted == 1
    fixed = submit(dept, [{**row, "person_id_no": right}], entry="org-officers")
    assert fixed.updated == 1, _reasons(fixed)
    assert _officers(company) == [(mask(right), "director")]
    ended = SubjectRelation.objects.get(organization=company, related__resident_id_masked=mask(wrong))
    assert ended.until == timezone.localdate()


def test_a_correction_that_keeps_the_person_keeps_the_relation(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    rid = f.resident_id()
    assert submit(dept, [officer(company.uscc, rid, "董事")], entry="org-officers").accepted == 1
    # Another field changes (a new version naming the same person in the same role).
    fixed = submit(dept, [officer(company.uscc, rid, "董事长")], entry="org-officers")
    assert fixed.updated + fixed.accepted + fixed.unchanged == 1, _reasons(fixed)
    assert _officers(company) == [(mask(rid), "director")]


def test_a_revoked_officer_record_does_not_keep_its_relation(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    rid = f.resident_id()
    batch = submit(dept, [officer(company.uscc, rid, "监事")], entry="org-officers")
    record = Record.objects.get(batch=batch)
    assert RecordRelation.objects.filter(record=record).count() == 1
    services.revoke_record(record.pk, department=dept, reason="误报", actor=ACTOR)
    assert _officers(company) == []


def test_a_revoked_record_keeps_a_relation_another_active_record_names(dept: Department) -> None:
    company = f.org("杭州甲公司")
    rid = f.resident_id()
    first = submit(dept, [licensing_row(company.uscc, "王五", rid)], entry="licensing-scjg")
    assert submit(dept, [licensing_row(company.uscc, "王五", rid)], entry="licensing-scjg").accepted == 1
    services.revoke_record(Record.objects.get(batch=first).pk, department=dept, reason="误报", actor=ACTOR)
    assert _reps(company) == ["王五"]


# --- one legal representative at a time ---------------------------------------------------------


def test_a_new_legal_representative_replaces_the_old_one(dept: Department) -> None:
    """Item 5: relations are created *or updated*: a later decision naming a new legal
    representative ends the old one."""
    company = f.org("杭州甲公司")
    old, new = f.resident_id(), f.resident_id()
    assert submit(dept, [licensing_row(company.uscc, "王五", old)], entry="licensing-scjg").accepted == 1
    assert submit(dept, [licensing_row(company.uscc, "赵六", new, XK_JDRQ="2025-06-03", XK_YXQZ="2025-06-03")],
                  entry="licensing-scjg").accepted == 1
    assert _reps(company) == ["赵六"]
    assert SubjectRelation.objects.get(organization=company, related__name="王五").until == timezone.localdate()


def test_an_older_decision_sent_late_does_not_replace_the_current_legal_representative(dept: Department) -> None:
    company = f.org("杭州甲公司")
    old, new = f.resident_id(), f.resident_id()
    assert submit(dept, [licensing_row(company.uscc, "赵六", new, XK_JDRQ="2025-06-03", XK_YXQZ="2025-06-03")],
                  entry="licensing-scjg").accepted == 1
    assert submit(dept, [licensing_row(company.uscc, "王五", old)], entry="licensing-scjg").accepted == 1
    assert _reps(company) == ["赵六"]
    # The earlier holder is recorded, as a former one.
    assert SubjectRelation.objects.get(organization=company, related__name="王五").until is not None


def test_revoking_the_decision_that_named_the_new_representative_brings_back_the_previous(
        dept: Department) -> None:
    company = f.org("杭州甲公司")
    old, new = f.resident_id(), f.resident_id()
    submit(dept, [licensing_row(company.uscc, "王五", old)], entry="licensing-scjg")
    later = submit(dept, [licensing_row(company.uscc, "赵六", new, XK_JDRQ="2025-06-03", XK_YXQZ="2025-06-03")],
                   entry="licensing-scjg")
    assert _reps(company) == ["赵六"]
    services.revoke_record(Record.objects.get(batch=later).pk, department=dept, reason="误报", actor=ACTOR)
    assert _reps(company) == ["王五"]


def test_within_one_batch_the_latest_decision_holds(dept: Department) -> None:
    company = f.org("杭州甲公司")
    rows = [licensing_row(company.uscc, "赵六", f.resident_id(), XK_JDRQ="2025-06-03", XK_YXQZ="2025-06-03"),
            licensing_row(company.uscc, "王五", f.resident_id())]
    assert submit(dept, rows, entry="licensing-scjg").accepted == 2
    assert _reps(company) == ["赵六"]


def test_directors_are_not_held_alone(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    a, b = f.resident_id(), f.resident_id()
    rows = [officer(company.uscc, a, "董事", "王五"), officer(company.uscc, b, "董事", "赵六")]
    assert submit(dept, rows, entry="org-officers").accepted == 2
    assert _officers(company) == sorted([(mask(a), "director"), (mask(b), "director")])


# --- who is related, and as what ------------------------------------------------------------------


def test_a_person_subject_row_with_legal_rep_fields_creates_no_orphan_person(dept: Department) -> None:
    """A licensing row about a natural person that also fills XK_FRDB/XK_FR_ZJHM: there is no
    organisation to relate the "legal representative" to, so no subject is created for them."""
    rid_subject, rid_rep = f.resident_id(), f.resident_id()
    row = licensing_row("", "王五", rid_rep, XK_XDR_LB="自然人", XK_XDR_MC="李四", XK_XDR_ZJLX="身份证",
                        XK_XDR_ZJHM=rid_subject)
    row.pop("XK_XDR_SHXYM")
    batch = submit(dept, [row], entry="licensing-scjg")
    assert batch.accepted == 1, _reasons(batch)
    assert not Subject.objects.filter(resident_id_hash=pii.resident_id_hash(rid_rep)).exists()


def test_an_unknown_branch_is_registered_as_an_unincorporated_organisation(dept: Department) -> None:
    """Civil Code Art. 74: a 分支机构 is not a legal person; an unknown branch with an enterprise
    code (91…) is registered, unverified, as an unincorporated organisation."""
    parent = f.org("杭州甲科技有限公司")
    branch_code = f.uscc()
    assert branch_code.startswith("91")
    row = {"uscc": parent.uscc, "branch_uscc": branch_code, "branch_name": "杭州甲科技有限公司滨江分公司",
           "registration_authority": "滨江区市场监管局", "established_on": "2020-01-01", "status": "存续"}
    batch = submit(dept, [row], entry="org-branches")
    assert batch.accepted == 1, _reasons(batch)
    branch = Subject.objects.get(uscc=branch_code)
    assert (branch.kind, branch.verified) == ("unincorporated_org", False)
    assert SubjectRelation.objects.filter(organization=parent, related=branch, role="branch").exists()


# --- the bulk path stays set-based ---------------------------------------------------------------


def test_query_count_of_relation_rows_does_not_grow_with_rows(dept: Department) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(n: int) -> int:
        companies = [f.org(f"杭州测试{i}科技有限公司") for i in range(n)]
        first = [officer(c.uscc, f.resident_id()) for c in companies]
        submit(dept, first, entry="org-officers")
        corrected = [{**row, "person_id_no": f.resident_id()} for row in first]  # n corrections
        with CaptureQueriesContext(connection) as ctx:
            batch = submit(dept, corrected, entry="org-officers")
        assert batch.updated == n, _reasons(batch)
        assert sum(len(_officers(c)) for c in companies) == n
        return len(ctx.captured_queries)

    assert count(5) == count(60)
