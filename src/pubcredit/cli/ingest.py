"""``pubcredit ingest FILE --entry CODE --dept CODE``: submit a file as one batch (Art. 13).

The file (CSV in UTF-8 or GB18030, JSON lines, or .xlsx) is validated row by row against the
entry's published catalog version and collected in one transaction. Exit code 0 when the batch
was processed — also when some rows were rejected: they are listed (``row N, field F: reason``)
and can be written to a CSV with ``--rejected-csv`` to be fixed and resent. Exit code 2 with one
line for a file that cannot be read, an unknown entry or department, or a department that does
not provide the entry.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any

SHOWN_REJECTIONS = 10


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ingest", help="submit a file of records under a catalog entry (one batch)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path, help="CSV (UTF-8 or GB18030), JSON lines (.jsonl) or Excel (.xlsx)")
    p.add_argument("--entry", required=True, metavar="CODE", help="catalog entry code, e.g. penalty-scjg")
    p.add_argument("--dept", required=True, metavar="CODE", help="submitting department code, e.g. hz-scjgj")
    p.add_argument("--actor", default=None, help="who submits (default: cli:<login name>)")
    p.add_argument("--rejected-csv", type=Path, default=None, metavar="PATH",
                   help="write the rejected rows (original columns + 行号/字段/原因) to this CSV")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from tqdm import tqdm

    from pubcredit.catalog import queries as catalog_queries
    from pubcredit.collection import services
    from pubcredit.collection.readers import open_rows

    department = catalog_queries.department_by_code(args.dept)

    # The bar appears with the first rows read: a batch refused before reading (unknown entry, a
    # department that does not provide it) prints its one-line error and no empty bar.
    bars: list[tqdm[Any]] = []

    def advance(rows: int) -> None:
        if not bars:
            bars.append(tqdm(desc=f"{args.entry} ← {args.file.name}", unit=" rows", disable=args.quiet,
                             mininterval=0.5))
        bars[0].update(rows)

    actor = args.actor or f"cli:{getpass.getuser()}"
    try:
        with open_rows(args.file) as source:
            batch = services.submit_batch(entry_code=args.entry, department=department, rows=source, channel="cli",
                                          filename=args.file.name, actor=actor, progress=advance)
            description = source.description
    finally:
        for bar in bars:
            bar.close()
    print(f"pubcredit: batch #{batch.pk} {args.entry} ({description}, {batch.row_count} rows): "
          f"accepted {batch.accepted}, updated {batch.updated}, unchanged {batch.unchanged}, "
          f"rejected {batch.rejected}")
    if batch.rejected:
        for rejection in batch.rejections.order_by("row_number", "id")[:SHOWN_REJECTIONS]:
            print(f"  row {rejection.row_number}, field {rejection.field or '-'}: {rejection.reason}")
        if batch.rejected > SHOWN_REJECTIONS:
            print(f"  … and {batch.rejected - SHOWN_REJECTIONS} more rejected rows")
        if args.rejected_csv is not None:
            with args.rejected_csv.open("w", encoding="utf-8", newline="") as out:
                for chunk in services.rejected_rows_csv(batch):
                    out.write(chunk)
            print(f"  rejected rows written to {args.rejected_csv}: fix them and resend only that file")
        print("  (row numbers count data rows: the first row below the header is row 1)")
    return 0
