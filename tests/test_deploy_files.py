"""The files in ``deploy/`` (docs/deployment.md) agree with the code: the proxy lets through every
body the platform accepts, on the address the service listens on, with the client address the
settings expect."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from pubcredit.cli import serve
from pubcredit.collection.forms import MAX_UPLOAD_BYTES
from pubcredit.reports.batch import MAX_BODY_BYTES

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
_UNITS = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def _site() -> str:
    return (DEPLOY / "nginx-site.conf").read_text(encoding="utf-8")


def _bytes(size: str) -> int:
    size = size.lower()
    return int(size[:-1]) * _UNITS[size[-1]] if size[-1] in _UNITS else int(size)


def _https_server() -> str:
    """The text of the ``server`` block that listens on 443."""
    site = _site()
    start = site.index("listen 443")
    return site[site.rindex("server {", 0, start):]


# A location block: its match (with modifier) and its body, up to the first line holding only "}"
# (a body may hold braces in quoted text, such as a JSON answer).
_LOCATION = re.compile(r"^\s*location\s+([^{\n]+)\{(.*?)^\s*\}\s*$", re.MULTILINE | re.DOTALL)


def _locations() -> dict[str, str]:
    """Each ``location``'s match (with its modifier) and body, from the HTTPS server."""
    return {m[1].strip(): m[2] for m in _LOCATION.finditer(_https_server())}


def _directive(text: str, name: str) -> str | None:
    found = re.search(rf"^\s*{name}\s+([^;]+);", text, re.MULTILINE)
    return found[1].strip() if found else None


def _server_level(name: str) -> str | None:
    return _directive(_LOCATION.sub("", _https_server()), name)


def _location_for(path: str) -> str:
    """The body of the location nginx picks for ``path`` (exact, then regular expressions, then
    the longest prefix: enough for the site's own locations)."""
    locations = _locations()
    for match, body in locations.items():
        if match.startswith("= ") and match[2:].strip() == path:
            return body
    for match, body in locations.items():
        if match.startswith("~ ") and re.search(match[2:].strip(), path):
            return body
    prefixes = [m for m in locations if not m.startswith(("=", "~")) and path.startswith(m)]
    return locations[max(prefixes, key=len)]


def _body_limit_for(path: str) -> int:
    limit = _directive(_location_for(path), "client_max_body_size") or _server_level("client_max_body_size")
    assert limit is not None
    return _bytes(limit)


def test_a_batch_query_of_the_largest_body_the_api_reads_passes_the_proxy() -> None:
    assert _body_limit_for("/api/v1/batch-queries") > MAX_BODY_BYTES


def test_the_upload_form_gets_files_up_to_its_own_limit_so_it_can_explain_it() -> None:
    assert _body_limit_for(reverse("collection:batches")) > MAX_UPLOAD_BYTES
    assert _directive(_location_for(reverse("collection:batches")), "proxy_read_timeout") is not None


def test_record_files_to_the_batch_api_get_a_large_limit_and_a_longer_wait() -> None:
    """Files are stored and collected later; JSON rows (up to MAX_JSON_ROWS) are collected while nginx waits."""
    path = "/api/v1/catalog/penalty-scjg/batches"
    assert _body_limit_for(path) >= 2 * MAX_UPLOAD_BYTES
    wait = _directive(_location_for(path), "proxy_read_timeout")
    assert wait is not None
    assert int(wait.rstrip("s")) >= 120
    # Only the submission itself: reading a batch back is an ordinary request.
    assert _location_for("/api/v1/batches/1") == _location_for("/")


@pytest.mark.parametrize("path", ["/", "/search/", "/api/v1/subjects/x/report", "/admin/"])
def test_other_paths_keep_the_small_limit(path: str) -> None:
    assert _body_limit_for(path) < MAX_UPLOAD_BYTES


def test_the_proxy_sets_the_client_address_itself_and_the_scheme() -> None:
    """``PUBCREDIT_TRUSTED_PROXIES=1`` reads the last address of X-Forwarded-For: the site must set
    it to the address nginx saw, not append to what the client sent."""
    server = _https_server()
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", server)
    assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", server)
    assert _server_level("proxy_request_buffering") == "on"


def test_the_unit_starts_the_server_where_the_site_sends_requests() -> None:
    unit = (DEPLOY / "pubcredit.service").read_text(encoding="utf-8")
    upstream = re.search(r"upstream\s+pubcredit\s*\{\s*server\s+([\d.]+):(\d+);", _site())
    assert upstream is not None
    command = re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    assert command is not None
    argv = command[1].split()
    assert argv[0].endswith("/pubcredit")
    assert argv[1] == "serve"
    assert argv[argv.index("--host") + 1] == upstream[1]
    assert argv[argv.index("--port") + 1] == upstream[2]
    # The server stops its workers, sealer and task workers itself: SIGTERM to it alone first.
    assert re.search(r"^KillMode=mixed$", unit, re.MULTILINE)
    # ProtectSystem=strict leaves only ReadWritePaths writable: fontconfig's cache must lie there.
    cache = re.search(r"^Environment=XDG_CACHE_HOME=(\S+)$", unit, re.MULTILINE)
    writable = re.search(r"^ReadWritePaths=(.+)$", unit, re.MULTILINE)
    assert cache is not None
    assert writable is not None
    assert any(cache[1].startswith(w.rstrip("/") + "/") for w in writable[1].split())
    parser = argparse.ArgumentParser()
    serve.add_server_arguments(parser)
    parser.parse_args(argv[2:])  # the unit's arguments are ones `pubcredit serve` takes


def _named_location(name: str) -> str:
    return _locations()[f"@{name}"]


def test_refusals_of_record_files_are_json_naming_the_limit() -> None:
    batches = _location_for("/api/v1/catalog/penalty-scjg/batches")
    assert re.search(r"error_page\s+413\s*=\s*@batch_too_large;", batches)
    assert re.search(r"error_page\s+429\s*=\s*@batches_busy;", batches)
    too_large = _named_location("batch_too_large")
    body = re.search(r"return\s+413\s+'([^']*)';", too_large)
    assert body is not None
    answer = json.loads(body[1])
    assert answer["field"] == "file"
    limit = _directive(batches, "client_max_body_size")
    assert limit is not None
    assert f"{_bytes(limit) // 1024 ** 2} MB" in answer["message"]  # says the limit nginx applies
    busy = re.search(r"return\s+429\s+'([^']*)';", _named_location("batches_busy"))
    assert busy is not None
    assert json.loads(busy[1])["retry_after"] == 60
    assert re.search(r"add_header\s+Retry-After\s+60\s+always;", _named_location("batches_busy"))


def test_record_files_in_processing_at_once_are_limited_on_both_upload_paths() -> None:
    assert re.search(r"limit_conn_zone\s+\$server_name\s+zone=pubcredit_batches:", _site())
    for path in ("/api/v1/catalog/penalty-scjg/batches", reverse("collection:batches")):
        location = _location_for(path)
        limit = _directive(location, "limit_conn")
        assert limit is not None
        zone, count = limit.split()
        assert zone == "pubcredit_batches"
        # Fewer than the server's threads (3 workers × 2 on two cores), so pages and the API keep some.
        assert int(count) < serve.default_workers() * serve.DEFAULT_THREADS
        assert _directive(location, "limit_conn_status") == "429"
