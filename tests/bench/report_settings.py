"""Settings of the report-load bench server only (``tests.bench.report_load``): the test settings
(fixed test keys), rate limiting off, and the URLconf with the bare look-up endpoint."""

from pubcredit.settings_test import *  # noqa: F403

ROOT_URLCONF = "tests.bench.report_urls"
PUBCREDIT_RATE_LIMIT_ENABLED = False
