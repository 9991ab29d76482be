"""Subjects made through the service layer, with valid codes from pubcredit.codes.synth."""

from __future__ import annotations

import random
from datetime import date

from pubcredit.codes.synth import make_resident_id, make_uscc
from pubcredit.subjects import services
from pubcredit.subjects.models import Subject

_rng = random.Random(20261125)


def uscc(region_code: str = "330106", department: str = "9", org_type: str = "1") -> str:
    return make_uscc(_rng, region_code=region_code, department=department, org_type=org_type)


def resident_id(region_code: str = "330106", birth: date = date(1985, 6, 15), sex: str = "M") -> str:
    return make_resident_id(_rng, region_code=region_code, birth_date=birth, sex=sex)


def org(name: str = "杭州测试科技有限公司", *, kind: str = "legal_person", code: str | None = None,
        verified: bool = True) -> Subject:
    return services.register_organization(kind=kind, name=name, uscc=code or uscc(), verified=verified,
                                          actor="test")


def person(name: str = "张三丰", *, code: str | None = None) -> Subject:
    return services.register_person(name=name, resident_id=code or resident_id(), actor="test")
