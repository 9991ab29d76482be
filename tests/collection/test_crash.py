"""A worker killed mid-batch leaves nothing; resending finishes the batch (issue #3 item 4)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from pubcredit.catalog import services as catalog_services
from pubcredit.collection.models import Batch, BatchRejection, Record
from pubcredit.subjects.models import Subject
from tests.collection.conftest import ACTOR, penalty_row, write_csv

ROWS = 25_000
# Runs the real command line; "ingest" is listed in pubcredit.cli.COMMANDS by the lead.
RUNNER = ("import sys; from pubcredit import cli; "
          "cli.COMMANDS.append('ingest') if 'ingest' not in cli.COMMANDS else None; sys.exit(cli.main(sys.argv[1:]))")


def _env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    keys = ("SECRET_KEY", "PUBCREDIT_PII_HASH_KEY", "PUBCREDIT_PII_ENC_KEY")
    return {**os.environ, "DATABASE_URL": url, "PUBCREDIT_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "pubcredit.settings_test", **{k: os.environ[k] for k in keys}}


def _ingest(path: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", RUNNER, "ingest", str(path), "--entry", "penalty-scjg", "--dept", "hz-scjgj",
               "--quiet"]
    # Our own interpreter with fixed arguments and a path we made: no untrusted input.
    return subprocess.Popen(command, env=_env(), text=True, stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.PIPE)


def _staging_copy_running(db_name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                    "AND query LIKE %s", [db_name, "%collection_stage_%"])
        return bool(cur.fetchone()[0])


def _backends(db_name: str) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                    "AND state <> 'idle'", [db_name])
        return int(cur.fetchone()[0])


def _kill_mid_batch(worker: subprocess.Popen[str], db_name: str) -> None:
    """Wait until the process is writing a batch, kill -9 it, and wait until the server has rolled back."""
    deadline = time.monotonic() + 60
    while not _staging_copy_running(db_name) and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.poll() is None, worker.communicate()  # still working: the kill lands mid-batch
    time.sleep(0.5)
    os.kill(worker.pid, signal.SIGKILL)
    worker.communicate()
    assert worker.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while _backends(db_name) and time.monotonic() < deadline:  # the server rolls the transaction back
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_kill_9_mid_batch_leaves_nothing_and_a_resend_finishes(tmp_path: Path) -> None:
    catalog_services.load_initial_catalog(actor=ACTOR)
    path = write_csv(tmp_path / "big.csv", [penalty_row() for _ in range(ROWS)])
    db_name = settings.DATABASES["default"]["NAME"]
    _kill_mid_batch(_ingest(path), db_name)
    assert not Batch.objects.exists()
    assert not Record.objects.exists()
    assert not BatchRejection.objects.exists()
    assert not Subject.objects.exists()

    again = _ingest(path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert f"accepted {ROWS}" in out
    assert Batch.objects.get().status == "completed"
    assert Record.objects.count() == ROWS
    assert Record.objects.values("natural_key").distinct().count() == ROWS


def _worker() -> subprocess.Popen[str]:
    """``pubcredit worker --batch``: runs what is queued (after queuing again what a killed worker left), then exits."""
    command = [sys.executable, "-c", "import sys; from pubcredit import cli; sys.exit(cli.main(sys.argv[1:]))",
               "worker", "--batch", "--quiet"]
    env = {**_env(), "PUBCREDIT_SPOOL_DIR": str(settings.PUBCREDIT_SPOOL_DIR)}
    # Our own interpreter with fixed arguments: no untrusted input.
    return subprocess.Popen(command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603


@pytest.mark.django_db(transaction=True)
def test_a_task_worker_killed_mid_file_leaves_nothing_and_its_restart_finishes(tmp_path: Path) -> None:
    """A file received through the API: the worker collecting it is killed; the next worker finishes it."""
    from pubcredit.catalog.models import Department
    from pubcredit.collection import queued

    catalog_services.load_initial_catalog(actor=ACTOR)
    path = write_csv(tmp_path / "big.csv", [penalty_row() for _ in range(ROWS)])
    with path.open("rb") as upload:
        batch = queued.receive_file(entry_code="penalty-scjg", department=Department.objects.get(code="hz-scjgj"),
                                    upload=upload, filename="big.csv", actor=ACTOR)
    spooled = queued.spool_dir() / batch.spool_name
    db_name = settings.DATABASES["default"]["NAME"]
    _kill_mid_batch(_worker(), db_name)
    batch.refresh_from_db()
    assert batch.status == "processing"  # as the killed worker left it: nothing else of it remains
    assert not Record.objects.exists()
    assert not BatchRejection.objects.exists()
    assert not Subject.objects.exists()
    assert spooled.is_file()

    again = _worker()
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    batch.refresh_from_db()
    assert (batch.status, batch.accepted, batch.row_count) == ("completed", ROWS, ROWS)
    assert Record.objects.count() == ROWS
    assert Batch.objects.count() == 1
    assert not spooled.exists()


@pytest.mark.django_db(transaction=True)
def test_a_processing_batch_shows_the_rows_read_so_far(tmp_path: Path) -> None:
    """The count is committed apart from the collecting transaction, so a department polling sees it move."""
    from pubcredit.catalog.models import Department
    from pubcredit.collection import queued, services

    catalog_services.load_initial_catalog(actor=ACTOR)
    path = write_csv(tmp_path / "p.csv", [penalty_row()])
    with path.open("rb") as upload:
        batch = queued.receive_file(entry_code="penalty-scjg", department=Department.objects.get(code="hz-scjgj"),
                                    upload=upload, filename="p.csv", actor=ACTOR)
    progress = queued.Progress(batch.pk, every=0)
    progress(500)
    batch.refresh_from_db()
    assert batch.row_count == 0  # still only received: nothing to show
    services.start_received(batch)
    progress(20_000)
    progress(700)
    progress.close()
    batch.refresh_from_db()
    assert (batch.status, batch.row_count) == ("processing", 21_200)
