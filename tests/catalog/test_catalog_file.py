"""Loading catalog files into an empty database: a bad file is rejected whole with a one-line reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubcredit.catalog import services
from pubcredit.catalog.models import CatalogEntry, Department
from pubcredit.errors import InvalidInput
from tests.catalog.conftest import ACTOR, shipped, write

pytestmark = pytest.mark.django_db


def test_a_malformed_file_is_rejected_whole(db: None, tmp_path: Path) -> None:
    doc = shipped()
    doc["entries"][-1]["version"]["fields"][0]["type"] = "money"
    with pytest.raises(InvalidInput) as err:
        services.load_initial_catalog(write(tmp_path, doc), actor=ACTOR)
    code = doc["entries"][-1]["code"]
    assert err.value.field == f"entries[{len(doc['entries']) - 1}]({code}).fields[0].type"
    assert "\n" not in str(err.value)
    assert not Department.objects.exists()
    assert not CatalogEntry.objects.exists()


def test_a_prohibited_field_in_the_file_is_rejected_whole(db: None, tmp_path: Path) -> None:
    doc = shipped()
    doc["entries"][3]["version"]["fields"].append({"name": "face_img", "label": "人脸照片", "type": "text"})
    with pytest.raises(InvalidInput, match=r"face_img.*生物识别信息"):
        services.load_initial_catalog(write(tmp_path, doc), actor=ACTOR)
    assert not CatalogEntry.objects.exists()


def test_invalid_json_is_reported_in_one_line(db: None, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "pubcredit.catalog/1",\n "title": }', encoding="utf-8")
    with pytest.raises(InvalidInput, match="第 2 行") as err:
        services.load_initial_catalog(path, actor=ACTOR)
    assert "\n" not in str(err.value)


def test_missing_file(db: None, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="不存在"):
        services.load_initial_catalog(tmp_path / "nope.json", actor=ACTOR)
