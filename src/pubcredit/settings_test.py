"""Settings for the test suite: fixed, well-known test keys and a PostgreSQL found by devdb.

DATABASE_URL wins if set; else the server on 127.0.0.1:5432; else the embedded PostgreSQL.
"""

import os

from pubcredit import devdb

os.environ["PUBCREDIT_ENV"] = "test"
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
# 32 bytes each, base64: test keys only.
os.environ.setdefault("PUBCREDIT_PII_HASH_KEY", "dGVzdC1waWktaGFzaC1rZXktMzItYnl0ZXMtbG9uZyE=")
os.environ.setdefault("PUBCREDIT_PII_ENC_KEY", "dGVzdC1waWktZW5jcnlwdGlvbi1rZXktMzJieXRlcyE=")
os.environ.setdefault("PUBCREDIT_AUDIT_SIGNING_KEY", "dGVzdC1hdWRpdC1lZDI1NTE5LXNlZWQtMzJieXRlcyE=")
os.environ.setdefault("PUBCREDIT_REPORT_SIGNING_KEY", "dGVzdC1yZXBvcnQtc2lnbmluZy1zZWVkLTMyYnl0ZXM=")
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"], _source = devdb.resolve(database="pubcredit", allow_local=True)

from pubcredit.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  # WhiteNoise warns (an error in tests) if it is missing
