"""Generators of valid synthetic codes for demo data and tests.

Randomness comes from the ``random.Random`` passed in, so a seed reproduces a data set; these
are not secrets and must never be used as such.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .resident_id import EARLIEST_BIRTH_DATE, compute_resident_id_check, validate_resident_id
from .uscc import USCC_CHARSET, compute_org_code_check, compute_uscc_check, validate_uscc

__all__ = ["make_org_code", "make_resident_id", "make_uscc"]

_DIGITS = "0123456789"


def make_org_code(rng: random.Random) -> str:
    """A 9-character GB 11714 org code with a valid check character.

    Most are all-digit like pre-2015 codes; some have the ``MA`` prefix of codes issued since.
    """
    if rng.random() < 0.7:
        body = "".join(rng.choice(_DIGITS) for _ in range(8))
    else:
        body = "MA" + "".join(rng.choice(USCC_CHARSET) for _ in range(6))
    return body + compute_org_code_check(body)


def make_uscc(rng: random.Random, *, region_code: str = "330106", department: str = "9", org_type: str = "1") -> str:
    """A valid USCC for the given department, org type and region (CodeError if they are not allowed)."""
    first17 = department + org_type + region_code + make_org_code(rng)
    code = first17 + compute_uscc_check(first17)
    return validate_uscc(code).code


def make_resident_id(
    rng: random.Random,
    *,
    region_code: str = "330106",
    birth_date: date | None = None,
    sex: str | None = None,
) -> str:
    """A valid resident ID; the sequence number's last digit is odd for ``M``, even for ``F``.

    Without ``birth_date`` one is drawn from 1940–2005; without ``sex`` it is drawn too.
    """
    if birth_date is None:
        start = date(1940, 1, 1)
        birth_date = start + timedelta(days=rng.randrange((date(2005, 12, 31) - start).days + 1))
    if sex is None:
        sex = rng.choice("MF")
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ValueError(f"birth_date must not be before {EARLIEST_BIRTH_DATE.isoformat()}")
    sequence = rng.randrange(1 if sex == "M" else 2, 1000, 2)  # never 000
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    code = first17 + compute_resident_id_check(first17)
    return validate_resident_id(code, today=birth_date).code
