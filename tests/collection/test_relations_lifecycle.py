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


def _later(uscc: str, name: str, rid: str, day: str) -> dict[str, Any]:
    return licensing_row(uscc, name, rid, XK_JDRQ=day, XK_YXQZ=day)


def _other_id(rid: str) -> str:
    return next(other for other in iter(f.resident_id, None) if other != rid)


def _ids(n: int) -> list[str]:
    """``n`` distinct resident IDs (the factory draws from a few hundred)."""
    ids: list[str] = []
    while len(ids) < n:
        rid = f.resident_id()
        if rid not in ids:
            ids.append(rid)
    return ids


def test_revoking_the_latest_decision_gives_the_role_back_to_the_next_latest(dept: Department) -> None:
    """王五 (March), 赵六 (June), 王五 again (September). Revoking September: 王五 is still named (by
    March), so nothing the record named ends — but the latest remaining decision names 赵六, who
    holds again, and 王五 ends."""
    company = f.org("杭州甲公司")
    p1, p2 = _ids(2)
    submit(dept, [licensing_row(company.uscc, "王五", p1)], entry="licensing-scjg")
    submit(dept, [_later(company.uscc, "赵六", p2, "2025-06-03")], entry="licensing-scjg")
    assert _reps(company) == ["赵六"]
    sept = submit(dept, [_later(company.uscc, "王五", p1, "2025-09-03")], entry="licensing-scjg")
    assert _reps(company) == ["王五"]
    services.revoke_record(Record.objects.get(batch=sept).pk, department=dept, reason="误报", actor=ACTOR)
    assert _reps(company) == ["赵六"]


def test_correcting_the_latest_decision_to_drop_its_legal_rep_gives_the_role_back(dept: Department) -> None:
    company = f.org("杭州甲公司")
    p1, p2 = _ids(2)
    submit(dept, [licensing_row(company.uscc, "王五", p1)], entry="licensing-scjg")
    submit(dept, [_later(company.uscc, "赵六", p2, "2025-06-03")], entry="licensing-scjg")
    row = _later(company.uscc, "王五", p1, "2025-09-03")
    submit(dept, [row], entry="licensing-scjg")
    assert _reps(company) == ["王五"]
    fixed = {k: v for k, v in row.items() if k not in ("XK_FR_ZJLX", "XK_FR_ZJHM")}
    batch = submit(dept, [fixed], entry="licensing-scjg")
    assert batch.updated == 1, _reasons(batch)
    assert _reps(company) == ["赵六"]


def test_revoking_the_record_that_replaced_a_hand_recorded_legal_rep_brings_it_back(dept: Department) -> None:
    """A legal representative no record names (recorded by hand, or before migration 0012) ended
    by a record naming another comes back when that record is revoked."""
    from pubcredit.subjects import services as subject_services

    company = f.org("杭州甲公司")
    p0 = f.person("王五")
    subject_services.relate(organization=company, related=p0, role="legal_rep", actor=ACTOR)
    batch = submit(dept, [licensing_row(company.uscc, "赵六", f.resident_id())], entry="licensing-scjg")
    assert _reps(company) == ["赵六"]
    services.revoke_record(Record.objects.get(batch=batch).pk, department=dept, reason="误报", actor=ACTOR)
    assert _reps(company) == ["王五"]


def test_of_two_hand_recorded_legal_reps_the_last_ended_comes_back(dept: Department) -> None:
    from pubcredit.subjects import services as subject_services

    company = f.org("杭州甲公司")
    first, second = f.person("王五"), f.person("钱七")
    subject_services.relate(organization=company, related=first, role="legal_rep", actor=ACTOR)
    one = submit(dept, [licensing_row(company.uscc, "赵六", f.resident_id())], entry="licensing-scjg")
    SubjectRelation.objects.filter(organization=company, related=first).update(until="2025-01-01")
    subject_services.relate(organization=company, related=second, role="legal_rep", actor=ACTOR)
    two = submit(dept, [_later(company.uscc, "孙八", f.resident_id(), "2025-06-03")], entry="licensing-scjg")
    assert _reps(company) == ["孙八"]
    services.revoke_record(Record.objects.get(batch=two).pk, department=dept, reason="误报", actor=ACTOR)
    assert _reps(company) == ["赵六"]  # a holder an active record names first
    services.revoke_record(Record.objects.get(batch=one).pk, department=dept, reason="误报", actor=ACTOR)
    assert _reps(company) == ["钱七"]  # then the hand-recorded holder ended last


def test_a_legal_rep_corrected_away_does_not_come_back(dept: Department) -> None:
    """A wrong ID corrected, then the corrected record revoked: the person first named by mistake
    is named by no active record and recorded by no hand — nobody holds, the mistake stays ended."""
    company = f.org("杭州甲公司")
    wrong, right = _ids(2)
    row = licensing_row(company.uscc, "王五", wrong)
    submit(dept, [row], entry="licensing-scjg")
    fixed = submit(dept, [{**row, "XK_FR_ZJHM": right}], entry="licensing-scjg")
    assert fixed.updated == 1, _reasons(fixed)
    assert SubjectRelation.objects.filter(organization=company, until__isnull=True).count() == 1
    services.revoke_record(Record.objects.get(batch=fixed).pk, department=dept, reason="误报", actor=ACTOR)
    assert _reps(company) == []


def test_settling_many_organisations_takes_a_bounded_number_of_holder_locks(dept: Department) -> None:
    """One advisory lock per organisation would exhaust PostgreSQL's shared lock table (6 400 by
    default) with a chunk of 20 000 companies: the holder locks are keyed modulo _HOLDER_LOCKS."""
    from django.db import connection

    services._lock_holders(set(range(1, 30_001)))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                    "AND classid = %s", [services._HOLDER_LOCK])
        assert cur.fetchone()[0] == services._HOLDER_LOCKS


# --- ends and reopens are audited (Art. 38, 39) ----------------------------------------------------


def _changes(**kw: Any) -> list[dict[str, Any]]:
    from pubcredit.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(event="collection:relations:changed", **kw).order_by("id")
                .values_list("data", flat=True))


def test_a_batch_replacing_a_legal_rep_audits_the_end_in_one_entry(dept: Department) -> None:
    company, other = f.org("杭州甲公司"), f.org("杭州乙公司")
    p1, p2, p3, p4 = _ids(4)
    submit(dept, [licensing_row(company.uscc, "王五", p1), licensing_row(other.uscc, "钱七", p3)],
           entry="licensing-scjg")
    assert _changes() == []  # nothing ended, nothing reopened: nothing audited
    later = submit(dept, [_later(company.uscc, "赵六", p2, "2025-06-03"), _later(other.uscc, "孙八", p4, "2025-06-03")],
                   entry="licensing-scjg")
    [data] = _changes(object_type="batch", object_id=str(later.pk))
    new = dict(Record.objects.filter(batch=later).values_list("subject_id", "id"))
    old_rel = dict(SubjectRelation.objects.filter(organization__in=[company, other], until__isnull=False)
                   .values_list("organization_id", "id"))
    assert data["fields"] == ["relation", "organization", "role", "record"]
    assert sorted(data["ended"]) == sorted([[old_rel[company.pk], company.pk, "legal_rep", new[company.pk]],
                                            [old_rel[other.pk], other.pk, "legal_rep", new[other.pk]]])
    assert data["reopened"] == []
    assert p1 not in str(data)  # ids only: no person's ID number


def test_a_revocation_audits_what_it_ended_and_reopened(dept: Department) -> None:
    company = f.org("杭州甲公司")
    p1, p2 = _ids(2)
    first = submit(dept, [licensing_row(company.uscc, "王五", p1)], entry="licensing-scjg")
    later = submit(dept, [_later(company.uscc, "赵六", p2, "2025-06-03")], entry="licensing-scjg")
    revoked = Record.objects.get(batch=later)
    services.revoke_record(revoked.pk, department=dept, reason="误报", actor=ACTOR)
    rel = dict(SubjectRelation.objects.filter(organization=company).values_list("related__name", "id"))
    [data] = _changes(object_type="record", object_id=str(revoked.pk))
    assert data["ended"] == [[rel["赵六"], company.pk, "legal_rep", revoked.pk]]
    assert data["reopened"] == [[rel["王五"], company.pk, "legal_rep", Record.objects.get(batch=first).pk]]


def test_a_corrected_officer_is_audited_with_the_corrected_record(dept: Department) -> None:
    company = f.org("杭州甲科技有限公司")
    wrong, right = _ids(2)
    row = officer(company.uscc, wrong)
    first = submit(dept, [row], entry="org-officers")
    fixed = submit(dept, [{**row, "person_id_no": right}], entry="org-officers")
    ended = SubjectRelation.objects.get(organization=company, until__isnull=False)
    [data] = _changes(object_type="batch", object_id=str(fixed.pk))
    assert data["ended"] == [[ended.pk, company.pk, "director", Record.objects.get(batch=first).pk]]
    assert data["reopened"] == []


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
        # n corrections (a new ID drawn again if it is the old one: the factory draws from a few hundred)
        corrected = [{**row, "person_id_no": _other_id(row["person_id_no"])} for row in first]
        with CaptureQueriesContext(connection) as ctx:
            batch = submit(dept, corrected, entry="org-officers")
        assert batch.updated == n, _reasons(batch)
        assert sum(len(_officers(c)) for c in companies) == n
        return len(ctx.captured_queries)

    assert count(5) == count(60)
