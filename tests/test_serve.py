"""``pubcredit serve``: the master loads and freezes the application before forking; a worker
collects garbage with the server's thresholds."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from pubcredit.cli import serve


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restore_gc")
def test_master_loads_every_view_then_freezes_what_is_loaded() -> None:
    gc.unfreeze()
    serve.load_and_freeze()
    assert gc.get_freeze_count() > 10_000  # the loaded application, out of the collector's reach
    assert "pubcredit.reports.api" in sys.modules  # the API and its views were imported before the fork
    assert not [o for o in gc.get_objects() if o is serve.load_and_freeze]  # frozen, so no longer tracked


@pytest.mark.usefixtures("restore_gc")
def test_worker_collects_young_objects_less_often() -> None:
    gc.set_threshold(700, 10, 10)
    serve._in_worker(None, None)
    assert gc.get_threshold() == serve.WORKER_GC_THRESHOLDS
