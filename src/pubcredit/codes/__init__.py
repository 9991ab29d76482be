"""Pure-Python codes: USCC and resident-ID validation, regions, masking, PII crypto, synthetic data.

No Django and nothing else from pubcredit may be imported here (import-linter contract).
"""

from __future__ import annotations

from . import pii, regions
from .errors import CodeError, CodeWarning
from .masking import mask_name, mask_phone, mask_resident_id, mask_text
from .pii import PiiDecryptError, decode_key, decrypt, encrypt, lookup_hash
from .regions import (
    HANGZHOU_DISTRICTS,
    current_region,
    hangzhou_district_name,
    is_known_province,
    is_known_region,
    province_name,
    region_name,
)
from .resident_id import ResidentIdInfo, compute_resident_id_check, validate_resident_id
from .synth import make_org_code, make_resident_id, make_uscc
from .uscc import (
    NO_CODE_PLACEHOLDER,
    UsccInfo,
    compute_org_code_check,
    compute_uscc_check,
    is_no_code_placeholder,
    validate_uscc,
)

__all__ = [
    "HANGZHOU_DISTRICTS",
    "NO_CODE_PLACEHOLDER",
    "CodeError",
    "CodeWarning",
    "PiiDecryptError",
    "ResidentIdInfo",
    "UsccInfo",
    "compute_org_code_check",
    "compute_resident_id_check",
    "compute_uscc_check",
    "current_region",
    "decode_key",
    "decrypt",
    "encrypt",
    "hangzhou_district_name",
    "is_known_province",
    "is_known_region",
    "is_no_code_placeholder",
    "lookup_hash",
    "make_org_code",
    "make_resident_id",
    "make_uscc",
    "mask_name",
    "mask_phone",
    "mask_resident_id",
    "mask_text",
    "pii",
    "province_name",
    "region_name",
    "regions",
    "validate_resident_id",
    "validate_uscc",
]
