"""The report's read paths, for the access matrix (tests/access/test_access_matrix.py READ_PATHS).

Each returns (HTTP status, the catalog entry codes the reader was given). Entry names in the
matrix world are ``条目-<level>`` and codes ``M-<LEVEL>``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from django.test import Client

_NAME = re.compile(r"条目-(public|authorized|internal)")


def pdf_text(data: bytes) -> str:
    """The text of a PDF, by ``pdftotext`` (Debian poppler-utils; required in CI)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext not found: install the Debian package poppler-utils")
        pytest.skip("pdftotext (poppler-utils) not installed")
    done = subprocess.run([exe, "-layout", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,  # noqa: S603
                          check=True, timeout=60)
    return done.stdout.decode("utf-8")


def _codes_in(text: str) -> set[str]:
    return {f"M-{lv.upper()}" for lv in _NAME.findall(text)}


def report_json(client: Client, code: str, headers: dict[str, str], params: dict[str, str]) -> tuple[int, set[str]]:
    res = client.get(f"/api/v1/subjects/{code}/report", params, headers=headers)
    if res.status_code != 200:
        return res.status_code, set()
    content = res.json()["content"]
    return 200, {it["entry_code"] for s in content["sections"] for it in s["items"]}


def report_page(client: Client, code: str, headers: dict[str, str], params: dict[str, str]) -> tuple[int, set[str]]:
    res = client.get(f"/subjects/{code}/report/", params, headers=headers)
    if res.status_code != 200:
        return res.status_code, set()
    return 200, _codes_in(res.content.decode())


def report_pdf(client: Client, code: str, headers: dict[str, str], params: dict[str, str]) -> tuple[int, set[str]]:
    res = client.get(f"/api/v1/subjects/{code}/report.pdf", params, headers=headers)
    if res.status_code != 200:
        return res.status_code, set()
    assert res["Content-Type"] == "application/pdf"
    return 200, _codes_in(pdf_text(res.content))
