"""Shared fixtures. Settings: pubcredit.settings_test (PostgreSQL found by pubcredit.devdb)."""

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: ``LocaleMiddleware`` leaves the language of the last
    request active in the thread, so a page fetched in English made later tests' labels English."""
    from django.conf import settings

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _spool_folder(settings: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Record files received through the API wait in a folder of the test run, not in the project's var/."""
    settings.PUBCREDIT_SPOOL_DIR = tmp_path_factory.getbasetemp() / "spool"  # type: ignore[attr-defined]
