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
import os
import sys
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


def _unreadable_argument(args: argparse.Namespace) -> str | None:
    """The first argument that is not text (bytes of another encoding, e.g. a GBK file name from
    Windows, reach Python as lone surrogates, which the database cannot store)."""
    for name, value in (("FILE", str(args.file)), ("--entry", args.entry), ("--dept", args.dept),
                        ("--actor", args.actor or ""),
                        ("--rejected-csv", str(args.rejected_csv) if args.rejected_csv else "")):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return name
    return None


def _writable(path: Path, source: Path) -> str | None:
    """Why the rejected rows could not be written to ``path``, checked before anything is collected."""
    if path.is_dir():
        return f"{path} 是目录，请给出文件路径"
    try:
        same = path.exists() and source.exists() and os.path.samefile(path, source)
    except OSError:
        same = False
    if same:
        return f"{path} 就是要报送的文件，写入退回行会覆盖原文件，请另给一个文件路径"
    if not path.parent.is_dir():
        return f"目录 {path.parent} 不存在"
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        return f"没有写入 {path} 的权限"
    return None


def run(args: argparse.Namespace) -> int:
    from pubcredit.cli import env, fail

    bad = _unreadable_argument(args)
    if bad is not None:
        return fail(f"{bad}：含有不是 UTF-8 编码的字符（例如 GBK 编码的文件名），请改名或改用 UTF-8 后重试")
    if args.rejected_csv is not None and (why := _writable(args.rejected_csv, Path(args.file))) is not None:
        return fail(f"--rejected-csv：{why}")
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
            try:
                with args.rejected_csv.open("w", encoding="utf-8", newline="") as out:
                    for chunk in services.rejected_rows_csv(batch):
                        out.write(chunk)
            except OSError as exc:  # the batch is kept all the same: say so, in one line
                print(f"pubcredit: batch #{batch.pk} is kept; its rejected rows could not be written to "
                      f"{args.rejected_csv} ({exc.strerror or exc}): download them from the back-office "
                      "or the API", file=sys.stderr)
                return 1
            print(f"  rejected rows written to {args.rejected_csv}: fix them and resend only that file")
        print("  (row numbers count data rows: the first row below the header is row 1)")
    return 0
