"""Record files received through the API and collected by a background task (issue #3 items 2, 4)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.models import DBTaskResult

from pubcredit.access import tokens
from pubcredit.audit.models import AuditEntry
from pubcredit.catalog.models import Department
from pubcredit.collection import queued, services, tasks
from pubcredit.collection.models import Batch, BatchRejection, Record
from pubcredit.collection.readers import SNIFF_BYTES
from tests.collection.conftest import PENALTY, penalty_row, write_csv
from tests.factories.tasks import run_worker

ROWS_PAST_SNIFF = 400  # ≈ 150 kB of penalty rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_spool_folder(settings: object, tmp_path: Path) -> None:
    """Each test counts the files in the spool folder: it gets a folder of its own."""
    settings.PUBCREDIT_SPOOL_DIR = tmp_path / "spool"  # type: ignore[attr-defined]


@pytest.fixture
def bearer(dept: Department) -> dict[str, str]:
    issued = tokens.create_department_token(dept, name="执法办案系统", actor="test")
    return {"Authorization": f"Bearer {issued.secret}"}


def _upload(path: Path, headers: dict[str, str], *, name: str = "") -> object:
    upload = SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="text/csv")
    return Client().post(f"/api/v1/catalog/{PENALTY}/batches", {"file": upload}, headers=headers)


def _spooled() -> list[Path]:
    return sorted(queued.spool_dir().iterdir())


def test_a_file_is_received_at_once_then_collected_by_the_worker(bearer: dict[str, str], tmp_path: Path) -> None:
    good, bad = penalty_row(), penalty_row(CF_CFLB="99")
    res = _upload(write_csv(tmp_path / "p.csv", [good, bad]), bearer)
    assert res.status_code == 202, res.content
    body = res.json()
    assert (body["status"], body["row_count"], body["started_at"]) == ("received", 0, None)
    assert res["Location"] == f"/api/v1/batches/{body['id']}"
    assert res["Retry-After"] == "5"  # when to ask again
    assert not Record.objects.exists()  # nothing collected while the request waited
    assert len(_spooled()) == 1  # the file is kept until its task has run
    waiting = Client().get(res["Location"], headers=bearer)
    assert (waiting.json()["status"], waiting["Retry-After"]) == ("received", "5")

    assert run_worker() == 1
    answer = Client().get(res["Location"], headers=bearer)
    assert not answer.has_header("Retry-After")  # finished: nothing more to wait for
    done = answer.json()
    assert (done["status"], done["row_count"], done["accepted"], done["rejected"]) == ("completed", 2, 1, 1)
    assert done["started_at"]
    assert done["finished_at"]
    assert [r["row_number"] for r in done["rejections"]] == [2]
    assert Record.objects.filter(entry__code=PENALTY).count() == 1
    assert _spooled() == []  # collected: the spooled file is gone, the batch keeps its digest
    events = list(AuditEntry.objects.filter(object_type="batch", object_id=str(body["id"]))
                  .values_list("event", flat=True).order_by("id"))
    assert events == ["collection:batch:received", "collection:batch:completed"]


def test_processing_is_visible_while_the_rows_are_collected(bearer: dict[str, str], tmp_path: Path) -> None:
    res = _upload(write_csv(tmp_path / "p.csv", [penalty_row()]), bearer)
    batch = Batch.objects.get(pk=res.json()["id"])
    services.start_received(batch)  # what the task commits before it opens the file
    shown = Client().get(res["Location"], headers=bearer).json()
    assert shown["status"] == "processing"
    assert shown["started_at"]
    assert run_worker() == 1
    assert Batch.objects.get(pk=batch.pk).status == "completed"


def test_columns_not_in_the_catalog_are_refused_at_upload_and_nothing_is_spooled(
        bearer: dict[str, str], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [{**penalty_row(), "NOT_A_COLUMN": "x"}])
    res = _upload(path, bearer)
    assert res.status_code == 400, res.content
    assert "NOT_A_COLUMN" in res.json()["message"]
    failed = Batch.objects.get()
    assert (failed.status, failed.spool_name) == ("failed", "")
    assert "NOT_A_COLUMN" in failed.error
    assert not DBTaskResult.objects.exists()
    assert _spooled() == []


def test_an_unreadable_file_is_400_and_nothing_is_kept(bearer: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("CF_WSH\n".encode("utf-16"))
    res = _upload(path, bearer)
    assert res.status_code == 400, res.content
    assert "UTF-16" in res.json()["message"]
    assert not DBTaskResult.objects.exists()
    assert _spooled() == []


def test_a_file_damaged_past_its_header_fails_the_batch_and_keeps_no_row(
        bearer: dict[str, str], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [penalty_row() for _ in range(ROWS_PAST_SNIFF)])
    path.write_bytes(path.read_bytes() + b"\xff\xfe,x\n")  # an undecodable byte after the good rows
    assert path.stat().st_size > SNIFF_BYTES  # the encoding was judged on the good rows
    res = _upload(path, bearer)
    assert res.status_code == 202, res.content
    run_worker()
    failed = Client().get(res["Location"], headers=bearer).json()
    assert failed["status"] == "failed"
    assert "UTF-8" in failed["error"]
    assert not Record.objects.exists()
    assert not BatchRejection.objects.exists()
    assert _spooled() == []


def test_a_task_run_twice_collects_the_batch_once(bearer: dict[str, str], tmp_path: Path) -> None:
    res = _upload(write_csv(tmp_path / "p.csv", [penalty_row(), penalty_row()]), bearer)
    tasks.collect_received.enqueue(res.json()["id"])  # e.g. queued again by a restarted worker
    assert run_worker() == 2
    batch = Batch.objects.get(pk=res.json()["id"])
    assert (batch.status, batch.accepted, batch.unchanged) == ("completed", 2, 0)
    assert Record.objects.count() == 2
    assert Batch.objects.count() == 1


def test_a_spooled_file_that_disappeared_fails_the_batch_with_a_reason(
        bearer: dict[str, str], tmp_path: Path) -> None:
    res = _upload(write_csv(tmp_path / "p.csv", [penalty_row()]), bearer)
    for path in _spooled():
        path.unlink()
    run_worker()
    batch = Batch.objects.get(pk=res.json()["id"])
    assert batch.status == "failed"
    assert batch.error == queued.SPOOL_GONE
    assert not Record.objects.exists()


def _url() -> str:
    db = settings.DATABASES["default"]
    return (f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} "
            f"user={db['USER']} password={db.get('PASSWORD') or ''}")


def test_resume_queues_again_what_no_one_is_collecting(bearer: dict[str, str], tmp_path: Path) -> None:
    first = _upload(write_csv(tmp_path / "a.csv", [penalty_row()]), bearer).json()["id"]
    second = _upload(write_csv(tmp_path / "b.csv", [penalty_row()]), bearer).json()["id"]
    json_batch = Client().post(f"/api/v1/catalog/{PENALTY}/batches", {"rows": [penalty_row()]},
                               content_type="application/json", headers=bearer).json()["id"]
    DBTaskResult.objects.all().delete()  # as if their worker had died holding them
    services.start_received(Batch.objects.get(pk=first))  # died while processing
    # another worker is collecting the second one right now: it holds the batch's lock
    with psycopg.connect(_url(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [services.QUEUED_BATCH_LOCK, second])
        assert queued.resume() == [first]
        # Released here, not by closing: the server drops a closed session's locks a moment later.
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [services.QUEUED_BATCH_LOCK, second])
    # The first's new task is queued and not started: not again. A finished batch (the JSON one) never.
    assert queued.resume() == [second]
    assert json_batch not in (first, second)
    assert run_worker() == 2
    assert Batch.objects.get(pk=first).status == "completed"
    assert Batch.objects.get(pk=second).status == "completed"  # no longer locked
    assert Record.objects.count() == 3


def test_an_officer_session_may_upload_through_the_api_too(dept: Department, tmp_path: Path) -> None:
    from pubcredit.access.models import Role, User
    from tests.access.helpers import login_verified

    officer = User.objects.create_user(username="o", password="x-Long-pass-1", role=Role.OFFICER,
                                       department=dept, is_staff=True)
    client = Client()
    login_verified(client, officer)
    upload = SimpleUploadedFile("p.csv", write_csv(tmp_path / "p.csv", [penalty_row()]).read_bytes(),
                                content_type="text/csv")
    res = client.post(f"/api/v1/catalog/{PENALTY}/batches", {"file": upload})
    assert res.status_code == 202, res.content
    run_worker()
    assert Batch.objects.get().created_by == "o"
    assert Record.objects.count() == 1


def test_the_officer_page_of_a_file_still_waiting_says_so_and_refreshes(
        dept: Department, bearer: dict[str, str], tmp_path: Path) -> None:
    from pubcredit.access.models import Role, User
    from tests.access.helpers import login_verified

    res = _upload(write_csv(tmp_path / "p.csv", [penalty_row(), penalty_row(CF_CFLB="99")]), bearer)
    officer = User.objects.create_user(username="o", password="x-Long-pass-1", role=Role.OFFICER,
                                       department=dept, is_staff=True)
    client = login_verified(Client(), officer)
    page = f"/officer/batches/{res.json()['id']}/"
    html = client.get(page).content.decode()
    assert "文件已接收，正在排队等待处理" in html
    assert '<meta http-equiv="refresh" content="5">' in html
    services.start_received(Batch.objects.get(pk=res.json()["id"]))
    assert "文件正在后台处理，已读 0 行" in client.get(page).content.decode()
    run_worker()
    done = client.get(page).content.decode()
    assert "refresh" not in done
    assert "第 2 行" in done  # the rejected row, as for an upload on this page


def test_resume_removes_old_spooled_files_that_no_batch_names(bearer: dict[str, str], tmp_path: Path) -> None:
    import os
    import time

    waiting = _upload(write_csv(tmp_path / "p.csv", [penalty_row()]), bearer).json()["id"]
    folder = queued.spool_dir()
    old = time.time() - queued.ORPHAN_AGE_SECONDS - 60
    orphan, part, fresh = folder / "dead.upload", folder / "dead.upload.part", folder / "new.upload"
    for path in (orphan, part, fresh):
        path.write_bytes(b"CF_WSH\n")
    os.utime(orphan, (old, old))
    os.utime(part, (old, old))
    kept = folder / Batch.objects.get(pk=waiting).spool_name
    os.utime(kept, (old, old))  # old, but a waiting batch names it
    queued.resume()
    assert sorted(p.name for p in _spooled()) == sorted([kept.name, fresh.name])


def test_a_fault_while_collecting_fails_the_batch_with_a_reason_and_keeps_nothing(
        bearer: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = _upload(write_csv(tmp_path / "p.csv", [penalty_row()]), bearer)

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr(services, "_merge", broken)
    with pytest.raises(ZeroDivisionError):
        queued.collect(res.json()["id"])
    batch = Batch.objects.get(pk=res.json()["id"])
    assert batch.status == "failed"
    assert batch.error == queued.INTERNAL_ERROR.format(kind="ZeroDivisionError")
    assert not Record.objects.exists()
    assert _spooled() == []


def test_a_lost_database_leaves_the_batch_to_the_next_worker_start(
        bearer: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    res = _upload(write_csv(tmp_path / "p.csv", [penalty_row()]), bearer)

    def gone(*args: object, **kwargs: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "_merge", gone)
    assert run_worker() == 1  # the task fails with the error ...
    batch = Batch.objects.get(pk=res.json()["id"])
    assert batch.status == "processing"  # ... and the batch waits, with its file
    assert len(_spooled()) == 1
    monkeypatch.undo()
    assert queued.resume() == [batch.pk]
    run_worker()
    assert Batch.objects.get(pk=batch.pk).status == "completed"


def test_the_sweep_resumes_while_the_worker_runs(bearer: dict[str, str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import django.db

    # The sweep recycles its thread's connection after each round; here that thread holds the test's.
    monkeypatch.setattr(django.db, "close_old_connections", lambda: None)

    res = _upload(write_csv(tmp_path / "p.csv", [penalty_row()]), bearer)
    DBTaskResult.objects.all().delete()  # its worker died after taking the task
    stop = threading.Event()
    calls: list[list[int]] = []
    original = queued.resume

    def counted() -> list[int]:
        calls.append(original())
        stop.set()
        return calls[-1]

    queued.resume = counted  # type: ignore[assignment]
    try:
        queued.sweep_forever(0.01, stop=stop)  # one round, in this thread (the test's transaction)
    finally:
        queued.resume = original  # type: ignore[assignment]
    assert calls == [[res.json()["id"]]]


def test_a_department_lists_its_own_batches_newest_first_page_by_page(
        bearer: dict[str, str], tmp_path: Path) -> None:
    from pubcredit.catalog.models import Department as Dept

    ids = [_upload(write_csv(tmp_path / f"p{i}.csv", [penalty_row()]), bearer).json()["id"] for i in range(3)]
    json_id = Client().post(f"/api/v1/catalog/{PENALTY}/batches", {"rows": [penalty_row()]},
                            content_type="application/json", headers=bearer).json()["id"]
    other = Dept.objects.exclude(code="hz-scjgj").first()
    assert other is not None
    other_token = tokens.create_department_token(other, name="另一个系统", actor="test").secret
    page = Client().get("/api/v1/batches?limit=2", headers=bearer).json()
    assert [b["id"] for b in page["batches"]] == [json_id, ids[2]]
    assert page["next_before_id"] == ids[2]
    rest = Client().get(f"/api/v1/batches?limit=2&before_id={page['next_before_id']}", headers=bearer).json()
    assert ([b["id"] for b in rest["batches"]], rest["next_before_id"]) == ([ids[1], ids[0]], None)
    waiting = Client().get("/api/v1/batches?status=received", headers=bearer).json()["batches"]
    assert {b["id"] for b in waiting} == set(ids)
    assert waiting[0]["file_digest"]
    # another department sees none of them; the public may not ask
    theirs = Client().get("/api/v1/batches", headers={"Authorization": f"Bearer {other_token}"})
    assert (theirs.status_code, theirs.json()["batches"]) == (200, [])
    assert Client().get("/api/v1/batches").status_code in (401, 403)


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "status=done", "before_id=0", "limit=x"])
def test_a_bad_list_parameter_is_400_naming_it(bearer: dict[str, str], query: str) -> None:
    res = Client().get(f"/api/v1/batches?{query}", headers=bearer)
    assert res.status_code == 400, res.content
    assert query.split("=")[0] in res.content.decode()


# --- an officer's large upload in the back-office -------------------------------------------------


def _officer_client(dept: Department) -> tuple[Client, int]:
    from pubcredit.access.models import Role, User
    from tests.access.helpers import login_verified

    officer = User.objects.create_user(username="zhao", password="x-Long-pass-1", role=Role.OFFICER,
                                       department=dept, is_staff=True)
    client = login_verified(Client(), officer)
    form = client.get("/officer/batches/").context["form"]
    return client, next(e.pk for e in form.fields["entry"].queryset if e.code == PENALTY)


def test_a_large_officer_upload_is_collected_in_the_background(
        dept: Department, settings: object, tmp_path: Path) -> None:
    settings.PUBCREDIT_BACKGROUND_UPLOAD_BYTES = 1000  # type: ignore[attr-defined]  # the file below is larger
    client, entry_id = _officer_client(dept)
    path = write_csv(tmp_path / "big.csv", [penalty_row(), penalty_row(CF_CFLB="99"), penalty_row()])
    assert path.stat().st_size > 1000
    res = client.post("/officer/batches/", {"entry": entry_id,
                                           "file": SimpleUploadedFile("big.csv", path.read_bytes())})
    assert res.status_code == 302, res.content.decode()
    batch = Batch.objects.get()
    assert res["Location"] == f"/officer/batches/{batch.pk}/"
    assert (batch.status, batch.channel, batch.created_by) == ("received", "admin", "user:zhao")
    assert not Record.objects.exists()  # nothing collected while the officer's request waited
    assert len(_spooled()) == 1
    assert AuditEntry.objects.filter(event="collection:batch:received", object_id=str(batch.pk)).exists()
    html = client.get(res["Location"]).content.decode()
    assert "文件已接收，正在排队等待处理" in html
    assert '<meta http-equiv="refresh" content="5">' in html
    assert "新增" not in html  # no zero counts that read like a result while the file waits
    listed = client.get("/officer/batches/").content.decode()
    assert ('<td data-label="新增">—</td><td data-label="更正">—</td><td data-label="未变化">—</td>'
            '<td data-label="退回">—</td>') in listed  # nor in the list of batches
    assert run_worker() == 1
    done = client.get(res["Location"]).content.decode()
    assert "refresh" not in done
    assert "新增" in done
    assert ">—</td>" not in client.get("/officer/batches/").content.decode()
    assert "第 2 行" in done  # what is wrong, as for a small file
    assert "CF_CFLB" in done
    batch.refresh_from_db()
    assert (batch.status, batch.accepted, batch.rejected, batch.file_digest) == (
        "completed", 2, 1, hashlib.sha256(path.read_bytes()).hexdigest())
    assert _spooled() == []
    rejected = b"".join(client.get(res["Location"] + "rejected.csv").streaming_content).decode("utf-8-sig")
    assert "行号" in rejected
    assert ",99," in rejected


def test_a_large_officer_upload_with_columns_not_in_the_catalog_is_refused_on_the_form(
        dept: Department, settings: object, tmp_path: Path) -> None:
    settings.PUBCREDIT_BACKGROUND_UPLOAD_BYTES = 100  # type: ignore[attr-defined]
    client, entry_id = _officer_client(dept)
    path = write_csv(tmp_path / "odd.csv", [{**penalty_row(), "NOT_A_FIELD": "x"}])
    res = client.post("/officer/batches/", {"entry": entry_id,
                                           "file": SimpleUploadedFile("odd.csv", path.read_bytes())})
    assert res.status_code == 400
    assert "NOT_A_FIELD" in res.content.decode()  # named on the form, at once
    failed = Batch.objects.get()
    assert (failed.status, failed.channel) == ("failed", "admin")
    assert _spooled() == []
    assert not DBTaskResult.objects.exists()


def test_a_small_officer_upload_is_still_collected_while_the_officer_waits(dept: Department, tmp_path: Path) -> None:
    client, entry_id = _officer_client(dept)
    path = write_csv(tmp_path / "small.csv", [penalty_row()])
    assert path.stat().st_size < settings.PUBCREDIT_BACKGROUND_UPLOAD_BYTES
    res = client.post("/officer/batches/", {"entry": entry_id,
                                           "file": SimpleUploadedFile("small.csv", path.read_bytes())})
    assert res.status_code == 302
    assert Batch.objects.get().status == "completed"
    assert Record.objects.count() == 1
    assert not DBTaskResult.objects.exists()
    assert _spooled() == []


def test_only_uploaded_files_are_received_for_later(dept: Department, tmp_path: Path) -> None:
    from pubcredit.collection.readers import open_rows
    from pubcredit.errors import InvalidInput

    with open_rows(write_csv(tmp_path / "p.csv", [penalty_row()])) as source, \
            pytest.raises(InvalidInput) as refused:
        services.receive_batch(entry_code=PENALTY, department=dept, source=source, filename="p.csv", file_digest="",
                               spool_name="x.upload", actor="test", enqueue=lambda b: None, channel="json")
    assert refused.value.field == "channel"
    assert not Batch.objects.exists()
