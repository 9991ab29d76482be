"""PDF renders are capped cluster-wide: a PDF not rendered yet gets 503 + Retry-After while every slot is busy."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.test import Client

from pubcredit.reports import services
from pubcredit.reports.models import ReportPdf
from tests.reports.conftest import Company

pytestmark = pytest.mark.django_db


def _url() -> str:
    db = settings.DATABASES["default"]
    return (f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} "
            f"user={db['USER']} password={db.get('PASSWORD') or ''}")


def test_a_pdf_waits_for_a_free_render_slot_and_a_rendered_one_never_does(company: Company, settings: object) -> None:
    settings.PUBCREDIT_PDF_RENDERS_AT_ONCE = 1  # type: ignore[attr-defined]
    api_pdf = f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    page_pdf = f"/subjects/{company.subject.uscc}/report.pdf"
    client = Client()
    with psycopg.connect(_url(), autocommit=True) as other:  # another server process, rendering
        other.execute("SELECT pg_advisory_lock(%s, 0)", [services._PDF_SLOT_LOCK])
        busy = client.get(api_pdf)
        assert busy.status_code == 503
        assert busy["Retry-After"] == str(services.PDF_BUSY_RETRY_SECONDS)
        assert busy.json() == {"code": "busy", "message": "平台正在生成其他 PDF 报告，请 10 秒后再试",
                               "retry_after": services.PDF_BUSY_RETRY_SECONDS}
        page = client.get(page_pdf)
        assert page.status_code == 503
        assert page["Retry-After"] == str(services.PDF_BUSY_RETRY_SECONDS)
        assert "请 10 秒后再试" in page.content.decode()
        assert f'href="{page_pdf}"' in page.content.decode()  # try the same address again
        assert not ReportPdf.objects.exists()
        other.execute("SELECT pg_advisory_unlock(%s, 0)", [services._PDF_SLOT_LOCK])

        done = client.get(api_pdf)
        assert done.status_code == 200
        assert done.content.startswith(b"%PDF-")
        # The slot was given back: this session holds no render lock any more.
        held = other.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())", [services._PDF_SLOT_LOCK]).fetchone()
        assert held == (0,)

        other.execute("SELECT pg_advisory_lock(%s, 0)", [services._PDF_SLOT_LOCK])
        again = client.get(api_pdf)  # the same report, already rendered: served, slots or not
        assert again.status_code == 200
        assert again.content == done.content
        other.execute("SELECT pg_advisory_unlock(%s, 0)", [services._PDF_SLOT_LOCK])
    assert ReportPdf.objects.count() == 1
