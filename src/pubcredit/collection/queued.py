"""Record files received through the API, collected by a background task (issue #3 item 2, 4).

A department's program uploads a file and gets its batch back at once (``received``, 202), then
polls ``GET /api/v1/batches/{id}`` until it is ``completed`` or ``failed``. The file is kept in the
spool folder (``settings.PUBCREDIT_SPOOL_DIR``) until its task has collected it; no web thread
waits for a million rows, and the task workers (``pubcredit worker``, started by ``serve``) take
one file at a time each.

Guarantees, in order:

* **Received means kept.** The file is written to the spool folder and flushed to disk first;
  the batch row and its task are then written in one transaction. If that fails, the file goes.
* **Header checked at once.** Unknown or duplicate columns, an unreadable format or encoding:
  400 at upload, as for a file processed while the request waits.
* **Nothing partial.** The rows are collected exactly as ``services.submit_batch`` collects them,
  in one transaction (``services.process_received``).
* **A killed worker's batch is finished.** A batch left ``processing`` (its worker killed with
  -9, the machine restarted) still has its file; ``resume`` (run when a worker starts) gives it
  a new task. A task run twice for one batch collects it once: the second waits, then finds it
  done.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from pubcredit.catalog.models import Department
from pubcredit.collection import services
from pubcredit.collection.models import Batch, BatchChannel, BatchStatus
from pubcredit.collection.readers import open_rows
from pubcredit.errors import InvalidInput

log = logging.getLogger(__name__)

_BLOCK = 1 << 20
SPOOL_GONE = "报送文件已不在暂存区（服务器文件被清理），本批次未写入任何记录，请重新提交"
INTERNAL_ERROR = "平台处理该文件时出错（{kind}），本批次未写入任何记录；错误已记录，请稍后重新提交"


def spool_dir() -> Path:
    path = Path(settings.PUBCREDIT_SPOOL_DIR) / "batches"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _spool(upload: IO[bytes]) -> tuple[Path, str]:
    """Write an uploaded file to the spool folder, flushed to disk; return its path and SHA-256."""
    folder = spool_dir()
    name = f"{uuid.uuid4().hex}.upload"
    part = folder / f"{name}.part"
    digest = hashlib.sha256()
    try:
        with part.open("xb") as out:
            for block in iter(lambda: upload.read(_BLOCK), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        final = folder / name
        part.rename(final)
        _sync_folder(folder)  # the rename itself reaches the disk before the batch is committed
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return final, digest.hexdigest()


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def receive_file(*, entry_code: str, department: Department, upload: IO[bytes], filename: str,
                 actor: str, channel: str = BatchChannel.FILE) -> Batch:
    """Keep an uploaded record file and queue its collection; return the ``received`` batch.

    ``channel``: ``file`` for a department's program (the API), ``admin`` for an officer's upload
    in the back-office (a file above ``settings.PUBCREDIT_BACKGROUND_UPLOAD_BYTES``).

    Raises as ``services.submit_batch`` does before any row is read: NotFound, NotPermitted, and
    InvalidInput for a file that cannot be opened or whose columns are not the catalog's (kept as
    a failed batch). Nothing stays in the spool folder after an error.
    """
    from pubcredit.collection import tasks

    path, digest = _spool(upload)
    try:
        with open_rows(path, filename=filename) as source:
            return services.receive_batch(
                entry_code=entry_code, department=department, source=source, filename=filename, file_digest=digest,
                spool_name=path.name, actor=actor, channel=channel,
                enqueue=lambda batch: tasks.collect_received.enqueue(batch.pk))
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def collect(batch_id: int) -> Batch | None:
    """The task's work: collect a received batch from its spooled file, then remove the file.

    Returns the batch as it ended, or None when no such batch exists (deleted meanwhile).
    """
    batch = Batch.objects.select_related("entry", "entry_version", "department").filter(pk=batch_id).first()
    if batch is None or batch.status not in (BatchStatus.RECEIVED, BatchStatus.PROCESSING):
        return batch
    path = spool_dir() / batch.spool_name if batch.spool_name else None
    if path is None or not path.is_file():
        return _forget(services.fail_received(batch, SPOOL_GONE))
    batch = services.start_received(batch)
    progress = Progress(batch.pk)
    try:
        with open_rows(path, filename=batch.filename) as rows:
            batch = services.process_received(batch, rows, progress=progress)
    except InvalidInput as exc:  # cannot be opened any more (the header was read at upload)
        batch = services.fail_received(batch, exc.message)
    except (OperationalError, InterfaceError):
        raise  # the database went away: the batch stays processing, and the next worker start collects it
    except Exception as exc:
        # A fault of ours: the transaction was rolled back. Say so to the department rather than
        # leave the batch processing for ever, and keep the traceback for the operators.
        log.exception("collecting batch %s failed", batch.pk)
        _forget(services.fail_received(batch, INTERNAL_ERROR.format(kind=exc.__class__.__name__)))
        raise
    finally:
        progress.close()
    return _forget(batch)


class Progress:
    """Rows read so far, shown as a processing batch's ``row_count`` while it is collected.

    The rows are written in one transaction, which nobody else sees until it ends; so the count
    goes through a database connection of its own, committed at once, at most every ``every``
    seconds. It changes only ``row_count`` of a batch still ``processing`` (the collecting
    transaction writes the final counts when it commits).
    """

    def __init__(self, batch_id: int, *, every: float = 1.0) -> None:
        self.batch_id = batch_id
        self.every = every
        self.read = 0
        self._last = time.monotonic()
        self._connection: BaseDatabaseWrapper | None = None

    def __call__(self, rows: int) -> None:
        self.read += rows
        if time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            if self._connection is None:
                self._connection = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._connection.cursor() as cur:
                cur.execute(f"UPDATE {Batch._meta.db_table} SET row_count = %s WHERE id = %s AND status = %s",
                            [self.read, self.batch_id, BatchStatus.PROCESSING])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _forget(batch: Batch) -> Batch:
    """Remove a finished batch's spooled file (the batch keeps its digest and rejected rows)."""
    if batch.status in (BatchStatus.COMPLETED, BatchStatus.FAILED) and batch.spool_name:
        (spool_dir() / batch.spool_name).unlink(missing_ok=True)
    return batch


def resume() -> list[int]:
    """Queue again every received or processing batch that no one is collecting now.

    Run when a task worker starts, and every minute while it runs (``sweep_forever``): a batch
    whose worker was killed mid-way is finished from its spooled file (its transaction was rolled
    back, so it starts over). A batch being collected holds an advisory lock and is left alone, as
    is one whose task is queued and not started yet; should a batch still be queued twice, it is
    collected once.
    """
    from pubcredit.collection import tasks

    queued = []
    waiting = Batch.objects.filter(status__in=(BatchStatus.RECEIVED, BatchStatus.PROCESSING)).exclude(spool_name="")
    coming = _tasks_waiting_to_run(tasks.collect_received.module_path)
    for batch_id in waiting.values_list("pk", flat=True).order_by("pk"):
        if batch_id in coming:
            continue  # its task is in the queue, not started yet
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [services.QUEUED_BATCH_LOCK, batch_id])
            free = bool(cur.fetchone()[0])
            if free:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", [services.QUEUED_BATCH_LOCK, batch_id])
        if free:
            with transaction.atomic():
                tasks.collect_received.enqueue(batch_id)
            queued.append(batch_id)
    if queued:
        log.info("queued again the batches a stopped worker had not finished: %s", queued)
    _remove_orphans()
    return queued


def _tasks_waiting_to_run(task_path: str) -> set[int]:
    """The batch ids of collection tasks queued and not started (a started one holds the batch's lock)."""
    rows = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=task_path).values_list(
        "args_kwargs", flat=True)
    return {int(args["args"][0]) for args in rows if isinstance(args, dict) and args.get("args")}


def sweep_forever(interval: float = 60.0, *, stop: threading.Event | None = None) -> None:
    """``resume`` every ``interval`` seconds, for as long as a task worker runs.

    A worker's start is not always enough: when a worker is killed mid-statement, its database
    session may hold the batch's lock until that statement ends, after the next worker has looked.
    """
    from django.db import close_old_connections

    stop = stop or threading.Event()
    while not stop.wait(interval):
        try:
            resume()
        except DatabaseError:
            log.warning("could not look for unfinished batches", exc_info=True)
        finally:
            close_old_connections()


#: A spooled file no waiting batch names is removed once it is this old (an upload being stored
#: names its file only when its transaction commits, a few seconds after the file is written).
ORPHAN_AGE_SECONDS = 3600


def _remove_orphans() -> list[str]:
    """Remove spooled files of uploads that never became a batch (the server stopped in between)."""
    named = set(Batch.objects.filter(status__in=(BatchStatus.RECEIVED, BatchStatus.PROCESSING))
                .exclude(spool_name="").values_list("spool_name", flat=True))
    cutoff = time.time() - ORPHAN_AGE_SECONDS
    removed = []
    for path in spool_dir().iterdir():
        if path.name not in named and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    if removed:
        log.info("removed spooled files no batch names: %s", removed)
    return removed
