"""Benchmark the PDF of the credit report: seconds and pages by the size of the report.

Uses the synthetic city of ``tests.bench.report_load`` (database ``pubcredit_bench_report``,
1 M records; generated on first use). For organisations holding about 3, 20 and 100 active
records, and the one holding the most, it issues the full report as the organisation itself reads
it (every record it may see) and times ``reports.pdf.render`` — HTML, layout, fonts, the embedded
proof — once WeasyPrint is imported and has rendered a line of text (a process's first render pays
that import once; it is timed apart). Figures go to ``var/bench/pdf_render.json``.

    python -m tests.bench.pdf_render [--sizes 3,20,100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from typing import Any

from tests.bench.common import out_file, shown
from tests.bench.report_load import setup_city

OUT_FILE = out_file("pdf_render.json")

_COUNTS = """
    SELECT s.id, count(*) FROM collection_record r JOIN subjects_subject s ON s.id = r.subject_id
    WHERE r.status = 'active' AND s.kind IN ('legal_person', 'unincorporated_org')
    GROUP BY s.id
"""


def pick(sizes: list[int]) -> list[tuple[int, int]]:
    """(subject id, active records): for each size the organisation nearest to it (lowest id among
    equals), then the organisation with the most records."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(_COUNTS)
        counts = sorted((int(n), int(sid)) for sid, n in cur.fetchall())
    if not counts:
        raise SystemExit("the bench city has no organisation with records")
    chosen = [min(counts, key=lambda c: (abs(c[0] - size), c[1])) for size in sizes]
    most = max(counts, key=lambda c: (c[0], -c[1]))
    return [(sid, n) for n, sid in dict.fromkeys([*chosen, most])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.pdf_render", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="3,20,100", help="record counts to look for (default 3,20,100)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes: whole numbers separated by commas")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: at least one positive number")

    setup_city()
    from django.db import connection

    from pubcredit.access.readers import Reader
    from pubcredit.reports import pdf, services
    from pubcredit.subjects.models import Subject
    from tests.bench.settle import describe, settle

    print(describe(settle(connection)), flush=True)
    started = time.perf_counter()
    import weasyprint  # type: ignore[import-untyped]

    weasyprint.HTML(string="<p style='font-family: \"Noto Sans CJK SC\"'>公共信用信息报告</p>").write_pdf()
    first = time.perf_counter() - started
    print(f"WeasyPrint imported and warmed in {first:.2f} s (once per process)", flush=True)

    rows: list[dict[str, Any]] = []
    for subject_id, records in pick(sizes):
        subject = Subject.objects.get(pk=subject_id)
        issued = services.issue_report(subject, reader=Reader(kind="subject", subject_id=subject.pk,
                                                               name=subject.name))
        items = sum(len(section.items) for section in issued.report.sections)
        started = time.perf_counter()
        rendered = pdf.render(issued, verify_url="https://credit.example.gov.cn/verify/X/")
        seconds = time.perf_counter() - started
        rows.append({"active_records": records, "report_items": items, "seconds": round(seconds, 2),
                     "pages": rendered.pages, "kilobytes": len(rendered.data) // 1024,
                     "ms_per_page": round(seconds / rendered.pages * 1000, 1)})
        print(f"{items:4d} items: {seconds:6.2f} s, {rendered.pages:4d} pages, {len(rendered.data) // 1024} kB",
              flush=True)
    figures = {
        "benchmark": "pdf_render", "template_version": pdf.TEMPLATE_VERSION, "first_render_seconds": round(first, 2),
        "reports": rows, "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {shown(OUT_FILE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
