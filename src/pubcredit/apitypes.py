"""Types for API input shared by the apps' schemas."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: object) -> object:
    """Only ``YYYY-MM-DD`` text (or a date): pydantic would otherwise read a number such as ``0``
    as seconds since 1970 and answer for 1970-01-01."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return value.strip()
    raise PydanticCustomError("iso_date", "应为 YYYY-MM-DD 格式的日期")


#: A date given as ``YYYY-MM-DD`` (the schema's ``format: date``), nothing else.
IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
