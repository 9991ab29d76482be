"""``pubcredit audit``: seal, sign and verify the append-only audit chain (Art. 38, 39, 51).

  pubcredit audit seal [--follow]   chain unsealed entries; sign a checkpoint every N and at the end
  pubcredit audit checkpoint        sign the current head now
  pubcredit audit verify            check every hash, seq and checkpoint; exit 2 naming the first break
  pubcredit audit public-key        the key that verifies checkpoints (publish it)
  pubcredit audit checkpoints       list signed heads (--json: one per line, to keep outside the database)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pubcredit.cli.supervise import Supervised

DEFAULT_INTERVAL = 2.0
DEFAULT_CHECKPOINT_EVERY = 1000
DEFAULT_CHECKPOINT_INTERVAL = 60.0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("audit", help="seal, sign and verify the audit chain (审计日志)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="audit_action", metavar="ACTION", required=True)

    seal = actions.add_parser("seal", help="chain unsealed entries and sign checkpoints")
    seal.add_argument("--batch", type=int, default=5000, help="entries per transaction (default 5000)")
    seal.add_argument("--follow", action="store_true", help="keep sealing until interrupted")
    seal.add_argument("--interval", type=float, default=DEFAULT_INTERVAL, metavar="S",
                      help=f"with --follow: seconds between looks for new entries (default {DEFAULT_INTERVAL})")
    seal.add_argument("--checkpoint-every", type=int, default=DEFAULT_CHECKPOINT_EVERY, metavar="N",
                      help=f"sign a checkpoint every N sealed entries (default {DEFAULT_CHECKPOINT_EVERY}); "
                           "also whenever the log goes quiet and at the end")
    seal.add_argument("--checkpoint-interval", type=float, default=DEFAULT_CHECKPOINT_INTERVAL, metavar="S",
                      help="with --follow: sign at least every S seconds while entries keep coming "
                           f"(default {DEFAULT_CHECKPOINT_INTERVAL:g})")
    seal.add_argument("--quiet", action="store_true", help="no progress bar or routine messages")
    seal.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)  # exit when it is gone
    seal.set_defaults(func=run_seal)

    cp = actions.add_parser("checkpoint", help="sign the current head of the chain now")
    cp.set_defaults(func=run_checkpoint)

    verify = actions.add_parser("verify", help="verify the whole chain and every checkpoint")
    verify.add_argument("--public-key", action="append", default=None, metavar="BASE64",
                        help="verify checkpoints with this published public key instead of the configured "
                             "signing key (repeat for earlier keys)")
    verify.add_argument("--checkpoints-file", type=Path, default=None, metavar="FILE",
                        help="signed heads kept outside the database (`pubcredit audit checkpoints --json`)")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.set_defaults(func=run_verify)

    key = actions.add_parser("public-key", help="print the checkpoint verification key")
    key.set_defaults(func=run_public_key)

    listing = actions.add_parser("checkpoints", help="list signed checkpoints")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=run_checkpoints)


def _say(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "quiet", False):
        print(f"pubcredit audit: {message}", flush=True)


def run_seal(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from django.db import DatabaseError, connections
    from tqdm import tqdm

    from pubcredit.audit import queries, services
    from pubcredit.cli import fail

    if (args.batch < 1 or args.checkpoint_every < 1 or not math.isfinite(args.interval) or args.interval <= 0
            or not math.isfinite(args.checkpoint_interval) or args.checkpoint_interval <= 0):
        return fail("--batch, --checkpoint-every, --interval and --checkpoint-interval must be positive numbers")
    total = 0
    last_signed = time.monotonic()
    bar = None
    if not args.follow and not args.quiet:
        bar = tqdm(total=queries.unsealed_count(), unit="entry", desc="sealing")

    def maybe_checkpoint(*, quiet_now: bool) -> None:
        nonlocal last_signed
        head = queries.head()
        behind = (head[0] if head else 0) - queries.last_checkpoint_seq()
        due = quiet_now or time.monotonic() - last_signed >= args.checkpoint_interval
        if behind >= args.checkpoint_every or (behind > 0 and due):
            cp = services.checkpoint()
            last_signed = time.monotonic()
            _say(args, f"checkpoint at seq {cp.seq}")

    try:
        while True:
            try:
                sealed_now = 0
                while True:
                    done = services.seal(args.batch, wait=not args.follow)
                    sealed_now += done
                    if bar is not None:
                        bar.update(done)
                    if done < args.batch:
                        break
                    maybe_checkpoint(quiet_now=False)
                total += sealed_now
                # Sign at the end of a run, when the log has gone quiet, or when the last signature is old.
                maybe_checkpoint(quiet_now=not args.follow or sealed_now == 0)
            except DatabaseError as exc:
                if not args.follow:
                    raise
                print(f"pubcredit audit: database error, retrying: {str(exc).strip().splitlines()[0]}",
                      file=sys.stderr, flush=True)
                connections.close_all()
            if not args.follow or (args.parent_pid is not None and os.getppid() != args.parent_pid):
                break
            connections.close_all()  # hold no connection while idle
            time.sleep(args.interval)
    except KeyboardInterrupt:
        if not args.follow:
            raise
    finally:
        if bar is not None:
            bar.close()
    _say(args, f"sealed {total} entries")
    return 0


def run_checkpoint(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.audit import services

    cp = services.checkpoint()
    print(f"checkpoint {cp.id}: seq {cp.seq}, head {cp.head_hash}, key {cp.key_id}")
    return 0


def _read_checkpoints_file(path: Path) -> list[Any]:
    from pubcredit.audit import queries
    from pubcredit.errors import InvalidInput

    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text (byte {exc.start}): not a file of checkpoint records") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(queries.parse_checkpoint_record(json.loads(line)))
        except ValueError as exc:
            raise InvalidInput(f"{path}, line {number}: {exc}") from exc
        except RecursionError:
            raise InvalidInput(f"{path}, line {number}: JSON nested too deeply") from None
    return rows


def run_verify(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from tqdm import tqdm

    from pubcredit.audit import keys, queries
    from pubcredit.cli import fail
    from pubcredit.errors import InvalidInput

    public_keys = None
    if args.public_key:
        try:
            public_keys = [keys.load_public_key(b64) for b64 in args.public_key]
        except ValueError as exc:
            raise InvalidInput(f"--public-key: {exc}") from exc
    extra = _read_checkpoints_file(args.checkpoints_file) if args.checkpoints_file else []
    bar = None if args.quiet else tqdm(unit="entry", desc="verifying")

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        report = queries.verify(progress=progress, public_keys=public_keys, extra_checkpoints=extra)
    finally:
        if bar is not None:
            bar.close()
    if report.problem is not None:
        print(f"checked {report.entries} entries before the break; {report.unsealed} not sealed yet")
        return fail(f"audit chain broken at {report.problem}")
    print(report.summary())
    return 0


def run_public_key(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.audit import queries

    info = queries.public_key()
    print(f"algorithm: {info.algorithm}\nkey id: {info.key_id}\npublic key (base64): {info.public_key_b64}")
    print(info.public_key_pem, end="")
    return 0


def run_checkpoints(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.audit import queries

    for cp in queries.checkpoints():
        record = queries.checkpoint_record(cp)
        if args.json:
            print(json.dumps(record, ensure_ascii=False, sort_keys=True))
        else:
            print(f"{record['seq']:>12}  {record['head_hash']}  {record['created_at']}  {record['key_id']}")
    return 0


def start_background_sealer(interval: float = DEFAULT_INTERVAL) -> Supervised:
    """Run ``pubcredit audit seal --follow`` beside the server, stopped when the server stops and
    started again if it ends before (``cli.supervise``).

    A separate process, not a thread: gunicorn forks its workers, and a database connection
    held by a thread at fork time must not be shared. The child inherits this process's
    environment (database and keys set up by ``env.setup``) and exits with its parent.
    """
    command = [sys.executable, "-c", "import sys; from pubcredit.cli import main; sys.exit(main())",
               "audit", "seal", "--follow", "--quiet", "--parent-pid", str(os.getpid()), "--interval", str(interval)]
    # Own session, as the task workers: stopped once, by this process (atexit), not also by a
    # signal to the terminal's process group, which the supervisor would take for a crash.
    # Our own interpreter and fixed arguments.
    return Supervised("audit sealer", lambda: subprocess.Popen(command, start_new_session=True),  # noqa: S603
                      stop_timeout=10)
