"""The database keeps a subject's code unique whatever writes it (the services check first, but
bulk registration and concurrent writers rely on the constraints)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from pubcredit.subjects import pii, services
from pubcredit.subjects.models import Subject
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


def test_a_second_subject_with_the_same_uscc_is_refused_by_the_database() -> None:
    code = f.uscc()
    Subject.objects.create(kind="legal_person", name="甲公司", uscc=code, region_code=code[2:8])
    with pytest.raises(IntegrityError, match="subject_uscc_unique"), transaction.atomic():
        Subject.objects.create(kind="legal_person", name="乙公司", uscc=code, region_code=code[2:8])
    assert Subject.objects.filter(uscc=code).count() == 1


def test_a_second_person_with_the_same_id_hash_is_refused_by_the_database() -> None:
    key = pii.resident_id_hash(f.resident_id())
    Subject.objects.create(kind="natural_person", name="张三", resident_id_hash=key)
    with pytest.raises(IntegrityError, match="subject_resident_id_hash_unique"), transaction.atomic():
        Subject.objects.create(kind="natural_person", name="李四", resident_id_hash=key)
    assert Subject.objects.filter(resident_id_hash=key).count() == 1


def test_organisations_without_a_person_hash_are_not_duplicates_of_each_other() -> None:
    for _ in range(3):
        f.org(name="某某有限公司")
    assert Subject.objects.filter(resident_id_hash__isnull=True).count() == 3


def test_model_validation_names_the_duplicated_code() -> None:
    code = f.uscc()
    f.org(code=code)
    with pytest.raises(ValidationError) as err:
        Subject(kind="legal_person", name="乙公司", uscc=code, region_code=code[2:8]).full_clean()
    assert "uscc" in err.value.message_dict


def test_bulk_registration_leaves_a_registered_code_alone() -> None:
    code = f.uscc()
    existing = f.org(name="甲公司", code=code)
    other = f.uscc()
    created = services.bulk_register_unverified(organizations=[("legal_person", code, "乙公司"),
                                                               ("legal_person", other, "丙公司")],
                                                source="test", actor="test")
    assert created == 1
    assert Subject.objects.get(uscc=code).name == existing.name
    assert Subject.objects.get(uscc=other).name == "丙公司"


def test_bulk_registration_keeps_each_name_with_its_code_whatever_the_whitespace() -> None:
    """The columns travel as one text each, a value per line: a line break inside a name must not
    shift the names against the codes. Names are collapsed to single spaces first."""
    odd = ["杭州\n换行\r有限公司", "杭州\u2028分隔\u2029有限公司", "杭州\t制表\x85有限公司", "  ", "杭州正常有限公司"]
    codes = [f.uscc() for _ in odd]
    created = services.bulk_register_unverified(organizations=[("legal_person", c, n) for c, n in zip(codes, odd,
                                                                                                     strict=True)],
                                                source="test", actor="test")
    assert created == len(odd)
    names = dict(Subject.objects.filter(uscc__in=codes).values_list("uscc", "name"))
    assert [names[c] for c in codes] == ["杭州 换行 有限公司", "杭州 分隔 有限公司", "杭州 制表 有限公司",
                                         f"未具名主体（{codes[3]}）", "杭州正常有限公司"]


def test_subjects_have_no_index_no_query_uses() -> None:
    """Every index costs each new subject of a bulk batch; these were found unused (migration 0002)."""
    with connection.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'subjects_subject'")
        indexes = dict(cur.fetchall())
    assert not [name for name in indexes if name.endswith("_like")]
    assert not [d for d in indexes.values() if d.endswith("(region_code)")]
    assert "subject_name_trgm" in indexes  # the name search reads it
