"""Bring up Django for a CLI command: settings from the environment, or the local demo set-up."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from pubcredit import devdb

DEMO_ENV_FILE = devdb.VAR_DIR / "demo.env"
DEMO_DATABASE = "pubcredit_demo"


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def ensure_demo_env_file() -> Path:
    """Create ``var/demo.env`` with fresh random keys once; later demos reuse it (and its data)."""
    if not DEMO_ENV_FILE.exists():
        DEMO_ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            "# Written by `pubcredit demo` for this machine only. Not for production.",
            "PUBCREDIT_ENV=development",
            f"SECRET_KEY={secrets.token_urlsafe(50)}",
            f"PUBCREDIT_PII_HASH_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}",
            f"PUBCREDIT_PII_ENC_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}",
            f"PUBCREDIT_AUDIT_SIGNING_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}",
            f"PUBCREDIT_REPORT_SIGNING_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}",
        ]
        DEMO_ENV_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
        DEMO_ENV_FILE.chmod(0o600)
    elif "PUBCREDIT_AUDIT_SIGNING_KEY" not in _read_env_file(DEMO_ENV_FILE):  # a demo.env from before the audit chain
        with DEMO_ENV_FILE.open("a", encoding="utf-8") as env_file:
            env_file.write(f"PUBCREDIT_AUDIT_SIGNING_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}\n")
    if "PUBCREDIT_REPORT_SIGNING_KEY" not in _read_env_file(DEMO_ENV_FILE):  # a demo.env from before reports
        with DEMO_ENV_FILE.open("a", encoding="utf-8") as env_file:
            env_file.write(f"PUBCREDIT_REPORT_SIGNING_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}\n")
    return DEMO_ENV_FILE


def setup(*, demo: bool = False) -> str:
    """Configure and start Django; return a one-line description of the database used.

    Production reads everything from the environment. On a developer machine (no SECRET_KEY
    in the environment), the demo's ``var/demo.env`` supplies the keys and the embedded
    PostgreSQL supplies the database.
    """
    import django

    if demo:
        ensure_demo_env_file()
    if not os.environ.get("SECRET_KEY") and DEMO_ENV_FILE.exists():
        for key, value in _read_env_file(DEMO_ENV_FILE).items():
            os.environ.setdefault(key, value)
    source = "DATABASE_URL"
    if not os.environ.get("DATABASE_URL") and os.environ.get("PUBCREDIT_ENV") in {"development", "test"}:
        os.environ["DATABASE_URL"], source = devdb.resolve(database=DEMO_DATABASE, allow_local=False)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pubcredit.settings")
    django.setup()
    return source
