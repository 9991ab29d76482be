"""One legal representative at a time, under concurrent batches of two entries (Art. 10, 26).

licensing-scjg and licensing-jw take different entry locks, so their batches run side by side;
settling who holds an organisation's legal representative is serialised per organisation
(``collection.services._HOLDER_LOCK``). Transactional: each batch commits on its own connection.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog import services as catalog_services
from pubcredit.collection import services
from pubcredit.subjects.models import SubjectRelation
from tests.collection.conftest import ACTOR, submit
from tests.collection.test_relations_lifecycle import licensing_row
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db(transaction=True)


def _someone_waits_for_a_holder_lock(timeout: float) -> bool:
    """Whether another connection waits for an organisation's holder lock, polled up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s",
                        [services._HOLDER_LOCK])
            if cur.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def test_two_entries_naming_two_legal_reps_at_once_leave_one_holder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first batch (March decision, 王五) has settled and not committed when the second
    (June decision, 赵六, another entry) settles: the second waits for the first, sees 王五 and
    ends him. Without the lock each kept its own holder (two current legal representatives)."""
    catalog_services.load_initial_catalog(actor=ACTOR)
    scjg, jw = catalog_queries.department_by_code("hz-scjgj"), catalog_queries.department_by_code("hz-jw")
    company = f.org("杭州甲公司")
    p1, p2 = f.resident_id(), f.resident_id()
    while p2 == p1:
        p2 = f.resident_id()
    first_settled = threading.Event()
    waited: list[bool] = []
    original = services._settle_holders

    def settle_then_hold(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        if not first_settled.is_set():  # the first batch: let the second reach its settling, then commit
            first_settled.set()
            waited.append(_someone_waits_for_a_holder_lock(timeout=5))
        return out

    monkeypatch.setattr(services, "_settle_holders", settle_then_hold)
    errors: list[BaseException] = []

    def run(dept: Any, entry: str, name: str, rid: str, day: str) -> None:
        try:
            batch = submit(dept, [licensing_row(company.uscc, name, rid, XK_JDRQ=day, XK_YXQZ=day)], entry=entry)
            assert batch.accepted == 1, list(batch.rejections.values_list("reason", flat=True))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=run, args=(scjg, "licensing-scjg", "王五", p1, "2025-03-03"))
    second = threading.Thread(target=run, args=(jw, "licensing-jw", "赵六", p2, "2025-06-03"))
    first.start()
    assert first_settled.wait(30)
    second.start()
    for t in (first, second):
        t.join(60)
    assert not errors, errors
    current = list(SubjectRelation.objects.filter(organization=company, role="legal_rep", until__isnull=True)
                   .values_list("related__name", flat=True))
    assert current == ["赵六"], current
    assert waited == [True]  # the second batch did reach its settling while the first held the lock
