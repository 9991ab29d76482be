from datetime import date

import pytest

from pubcredit.errors import Conflict, InvalidInput
from pubcredit.subjects import queries, services
from pubcredit.subjects.models import NameChange, Subject, SubjectRelation
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


def test_register_organization_normalises_and_takes_region_from_code() -> None:
    code = f.uscc(region_code="330108")
    s = services.register_organization(kind="legal_person", name="  杭州 滨江 测试有限公司 ", uscc=code.lower(),
                                       actor="t")
    assert s.uscc == code
    assert s.region_code == "330108"
    assert s.name == "杭州 滨江 测试有限公司"
    assert s.verified


def test_register_organization_refuses_wrong_check_character() -> None:
    code = f.uscc()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(InvalidInput) as err:
        services.register_organization(kind="legal_person", name="甲公司", uscc=wrong, actor="t")
    assert err.value.field == "uscc"
    assert "校验" in err.value.message
    assert not Subject.objects.exists()


def test_register_organization_twice_is_a_conflict() -> None:
    code = f.uscc()
    f.org(code=code)
    with pytest.raises(Conflict):
        f.org(name="另一家公司", code=code)
    assert Subject.objects.count() == 1


def test_register_organization_refuses_person_kind_and_empty_name() -> None:
    with pytest.raises(InvalidInput) as err:
        services.register_organization(kind="natural_person", name="甲", uscc=f.uscc(), actor="t")
    assert err.value.field == "kind"
    with pytest.raises(InvalidInput) as err:
        services.register_organization(kind="legal_person", name="   ", uscc=f.uscc(), actor="t")
    assert err.value.field == "name"


def test_register_person_stores_masked_and_hash_only() -> None:
    rid = f.resident_id(region_code="330106", birth=date(1990, 1, 1))
    p = f.person(code=rid)
    assert p.resident_id_masked == rid[:6] + "********" + rid[-4:]
    assert p.resident_id_hash
    assert rid not in p.resident_id_hash
    assert rid.encode() not in bytes(p.resident_id_enc)
    assert queries.subject_by_code(rid).pk == p.pk


def test_register_person_refuses_future_birth_date() -> None:
    rid = f.resident_id(birth=date(2099, 1, 1))
    with pytest.raises(InvalidInput) as err:
        f.person(code=rid)
    assert err.value.field == "resident_id"
    assert not Subject.objects.exists()


def test_register_person_twice_is_a_conflict() -> None:
    rid = f.resident_id()
    f.person(code=rid)
    with pytest.raises(Conflict):
        f.person(name="李四", code=rid.lower())


def test_relations_check_kinds() -> None:
    company = f.org()
    boss = f.person()
    rel = services.relate(organization=company, related=boss, role="legal_rep", actor="t")
    assert services.relate(organization=company, related=boss, role="legal_rep", actor="t").pk == rel.pk
    branch = f.org(name="杭州测试科技有限公司西湖分公司", kind="unincorporated_org")
    services.relate(organization=company, related=branch, role="branch", actor="t")
    with pytest.raises(InvalidInput):
        services.relate(organization=company, related=branch, role="director", actor="t")
    with pytest.raises(InvalidInput):
        services.relate(organization=company, related=boss, role="branch", actor="t")
    with pytest.raises(InvalidInput):
        services.relate(organization=boss, related=company, role="legal_rep", actor="t")
    with pytest.raises(InvalidInput):
        services.relate(organization=company, related=boss, role="cousin", actor="t")
    assert SubjectRelation.objects.count() == 2


def test_rename_keeps_old_name() -> None:
    s = f.org(name="旧名称有限公司")
    services.rename(s, "新名称有限公司", actor="t")
    s.refresh_from_db()
    assert s.name == "新名称有限公司"
    assert NameChange.objects.get(subject=s).old_name == "旧名称有限公司"


def test_unverified_subject_is_marked_and_can_be_verified() -> None:
    s = f.org(verified=False)
    assert not s.verified
    services.mark_verified(s, actor="officer")
    s.refresh_from_db()
    assert s.verified
