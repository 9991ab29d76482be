"""``pubcredit catalog``: load, list and show the catalog of public credit information (Art. 9, 13).

  pubcredit catalog load [FILE]   load a catalog file, all or nothing (default: the shipped initial catalog)
  pubcredit catalog list          one line per current version: code, class, level, state, version
  pubcredit catalog show CODE     an entry with its current content, fields and version history
"""

from __future__ import annotations

import argparse
import getpass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pubcredit.catalog.models import CatalogEntry, CatalogVersion


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("catalog", help="load, list and show the catalog (归集目录)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="catalog_action", metavar="ACTION", required=True)
    load = actions.add_parser("load", help="load a catalog file; a second run of the same file changes nothing")
    load.add_argument("file", nargs="?", help="catalog JSON file (default: the shipped initial catalog)")
    load.set_defaults(func=run_load)
    listing = actions.add_parser("list", help="list entries with their current versions")
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="show one entry")
    show.add_argument("code", help="entry code, e.g. penalty-scjg")
    show.set_defaults(func=run_show)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


def run_load(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.catalog import services

    report = services.load_initial_catalog(args.file, actor=_actor())
    print(report)
    return 0


def _current_versions(entry: CatalogEntry) -> list[CatalogVersion]:
    """The versions worth listing: published and open ones, else the last one."""
    versions = list(entry.versions.all())
    live = [v for v in versions if v.state != "retired"]
    return live or versions[-1:]


def run_list(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.catalog import queries

    rows = [("code", "class", "level", "state", "version", "department")]
    for entry in queries.entries_with_versions():
        for version in _current_versions(entry):
            rows.append((entry.code, entry.info_class, version.open_level, version.state, str(version.number),
                         entry.department.code))
        if not entry.versions.all():
            rows.append((entry.code, entry.info_class, "-", "-", "-", entry.department.code))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"{len(rows) - 1} rows")
    return 0


def _flags(field: dict[str, Any]) -> str:
    flags = []
    if field.get("required"):
        flags.append("必填")
    if field.get("required_if"):
        cond = field["required_if"]
        flags.append(f"条件必填({cond['field']}∈{'/'.join(cond['in'])})")
    if field.get("personal"):
        flags.append("个人信息")
    if field.get("consent_required"):
        flags.append("须书面同意")
    return ",".join(flags)


def run_show(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.catalog import queries

    entry = queries.entry_by_code(args.code)
    versions = queries.versions_of(entry)
    print(f"{entry.code}  {entry.name}")
    print(f"  class: {entry.info_class} ({entry.get_info_class_display()})")
    print(f"  department: {entry.department.code} {entry.department.name}")
    if not versions:
        print("  no versions")
        return 0
    current = next((v for v in versions if v.state == "published"), versions[-1])
    print(f"  version: {current.number} ({current.state})")
    print(f"  item: {current.item}")
    print(f"  subjects: {', '.join(current.subject_kinds)}")
    print(f"  open level: {current.open_level} ({current.get_open_level_display()})")
    print(f"  frequency: {current.frequency}")
    print(f"  natural key: {', '.join(current.natural_key)}")
    print(f"  decision date field: {current.decision_date_field or '-'}")
    print(f"  disclosure months: {current.disclosure_months or '-'}")
    lag = current.submission_lag_workdays
    print(f"  submission lag (workdays): {lag if lag is not None else '-'}")
    print(f"  domain: {current.domain or '-'}")
    print(f"  legal basis: {current.legal_basis}")
    if current.consultation_skipped_reason:
        print(f"  published without consultation: {current.consultation_skipped_reason}")
    print("  fields:")
    for field in current.fields:
        print(f"    {field['name']:<24} {field['type']:<12} {field['label']}  [{_flags(field)}]")
    if current.repair_rules:
        rules = current.repair_rules
        print(f"  repair: {rules['scope']}")
        print(f"    ways: {'、'.join(rules['ways'])}; decide within {rules['decide_within_workdays']} workdays")
        for level in rules.get("severities", []):
            print(f"    {level['level']}: {level.get('min_publicity_months', '-')}–"
                  f"{level.get('max_publicity_months', '-')} months; {level['criteria']}")
    if current.note:
        print(f"  note: {current.note}")
    print("  versions: " + ", ".join(f"{v.number}:{v.state}" for v in versions))
    return 0
