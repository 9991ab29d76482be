#!/usr/bin/env python3
"""Check a credit report of the Hangzhou public credit information platform offline (报告离线验证).

    python3 verify_report.py REPORT --key KEY

REPORT is the report's JSON (the answer of ``GET /api/v1/subjects/{code}/report``) or its PDF.
KEY is the platform's published key, taken from the platform itself, never from the report: the
JSON of ``GET /api/v1/reports/public-key`` (its current and retired keys), a PEM file, or the
base64 public key shown on the 报告验证 page.

The report passes when every step holds:

1. the SHA-256 of the canonical JSON of its content is the digest it states;
2. the message the platform signed names that same digest, the report's verification code, its
   kind and its information date (a signature borrowed from another report names another digest);
3. the Ed25519 signature over that message verifies with the platform's key.

Then compare what the signed message names (subject, reader basis, period and classes of a special
report) and the content with the pages in your hands: the content is what the platform issued.

Needs Python 3.9+ and the ``cryptography`` package (``pip install cryptography``); for a PDF also
``pdfdetach`` and ``pdfinfo`` (poppler-utils). Exit status 0: passed; 1: failed; 2: unusable input.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

CONTEXTS = {"pubcredit-report-v1": 5, "pubcredit-report-v2": 10}
ATTACHMENT = "report-content.json"


class Unusable(Exception):
    """The input cannot be checked at all (exit status 2)."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that names a key twice is refused: a reader and this checker could each take
    another of the two values (a forged ``content`` in front, the genuine one after it)."""
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise Unusable(f"JSON 中有重复的键：{'、'.join(twice)[:100]}（报告被改动过）")
    return dict(pairs)


def loads(data: bytes | str) -> Any:
    return json.loads(data, object_pairs_hook=_no_duplicates)


def canonical(content: Any) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def _run(*command: str) -> str:
    if shutil.which(command[0]) is None:
        raise Unusable(f"需要 {command[0]}（poppler-utils）才能读取 PDF")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed tools
    if done.returncode != 0:
        raise Unusable(f"{command[0]} 无法读取该文件：{done.stderr.strip()[:200]}")
    return done.stdout


def read_pdf(path: Path) -> tuple[bytes, dict[str, str]]:
    """The embedded content JSON (as stored) and the verification metadata of a report PDF."""
    meta: dict[str, str] = {}
    for line in _run("pdfinfo", "-custom", str(path)).splitlines():
        name, sep, value = line.partition(":")
        if sep and name.startswith("pubcredit"):
            meta[name] = value.strip()
    with tempfile.TemporaryDirectory() as tmp:
        _run("pdfdetach", "-saveall", "-o", tmp, str(path))
        embedded = Path(tmp) / ATTACHMENT
        if not embedded.is_file():
            raise Unusable(f"PDF 中没有嵌入的报告内容（{ATTACHMENT}）")
        data = embedded.read_bytes()
    return data, {"code": meta.get("pubcreditverificationcode", ""),
                  "signature": meta.get("pubcreditsignatureed25519", ""),
                  "signed_message": meta.get("pubcreditsignedmessage", ""),
                  "key_id": meta.get("pubcreditkeyid", "")}


def read_report(path: Path) -> tuple[Any, bytes, dict[str, str]]:
    """(content, the bytes digested, verification block) of a report JSON or PDF."""
    raw = path.read_bytes()
    if raw.startswith(b"%PDF"):
        stored, verification = read_pdf(path)
        try:
            content = loads(stored)
        except ValueError:
            raise Unusable("嵌入的报告内容不是 JSON") from None
        return content, stored, verification
    try:
        report = loads(raw)
        content, verification = report["content"], report["verification"]
    except (ValueError, KeyError, TypeError):
        raise Unusable("不是平台出具的报告 JSON（应含 content 与 verification）") from None
    return content, canonical(content), {k: str(verification.get(k, "")) for k in
                                         ("code", "signature", "signed_message", "key_id")}


def _key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def read_keys(path_or_value: str) -> dict[str, tuple[bytes, str]]:
    """Raw public keys by key id, each with the time it was retired (empty: in use), from the
    public-key JSON, a PEM file or a base64 key."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

    path = Path(path_or_value)
    text = path.read_text(encoding="utf-8") if path.is_file() else path_or_value
    values: list[str] = []
    retired: dict[str, str] = {}
    if text.lstrip().startswith("{"):
        published = loads(text)
        values = [published["public_key"], *(k["public_key"] for k in published.get("retired", []))]
        retired = {k["public_key"]: str(k.get("retired_at") or "") for k in published.get("retired", [])}
        for when in retired.values():
            try:
                if when:
                    _utc(when)
            except ValueError:
                raise Unusable(f"公钥文件中的停用时间无法识别：{when[:40]}") from None
    elif "BEGIN PUBLIC KEY" in text:
        key = load_pem_public_key(text.encode("ascii"))
        values = [base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")]
    else:
        values = [text.strip()]
    keys: dict[str, tuple[bytes, str]] = {}
    for value in values:
        try:
            raw = base64.b64decode(value, validate=True)
        except ValueError:
            raise Unusable("公钥不是有效的 Base64") from None
        if len(raw) != 32:
            raise Unusable("公钥应为 32 字节的 Ed25519 公钥")
        keys[_key_id(raw)] = (raw, retired.get(value, ""))
    return keys


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # noqa: UP017 - runs on Python 3.9


def check(content: Any, digested: bytes, verification: dict[str, str], keys: dict[str, tuple[bytes, str]]
          ) -> tuple[list[str], list[str], dict[str, str]]:
    """(passed steps, failed steps, what the signed message names)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    passed: list[str] = []
    failed: list[str] = []
    digest = hashlib.sha256(digested).hexdigest()
    if digested != canonical(content):
        failed.append("报告内容不是规范 JSON（被改写过）")
    message = verification["signed_message"]
    parts = message.split("|")
    size = CONTEXTS.get(parts[0])
    if size is None or len(parts) != size:
        failed.append("签名内容格式无法识别")
        return passed, failed, {}
    named = {"code": parts[1], "digest": parts[2], "subject_code": parts[3], "issued_at": parts[4]}
    if size == 10:
        named |= {"kind": parts[5], "as_of": parts[6], "reader_basis": parts[7], "subject_name": unquote(parts[8]),
                  "parameters": unquote(parts[9])}
    (passed if named["digest"] == digest else failed).append(
        f"签名内容所载摘要与报告内容的 SHA-256 一致（{digest}）" if named["digest"] == digest else
        f"签名内容所载摘要 {named['digest']} 与报告内容的 SHA-256 {digest} 不一致：签名不属于这份内容")
    code = verification["code"]
    (passed if named["code"] == code else failed).append(
        f"签名内容所载验证码与报告验证码一致（{code}）" if named["code"] == code else
        f"签名内容所载验证码 {named['code']} 与报告验证码 {code} 不一致")
    if size == 10 and isinstance(content, dict):
        for field, label in (("kind", "报告类型"), ("as_of", "信息截止日")):
            same = named[field] == str(content.get(field))
            (passed if same else failed).append(
                f"签名内容所载{label}与报告内容一致" if same else f"签名内容所载{label}与报告内容不一致")
    key = keys.get(verification["key_id"]) if verification["key_id"] else None
    candidates = [key] if key is not None else list(keys.values())
    try:
        issued = _utc(named["issued_at"])
    except ValueError:
        issued = None
    # A retired key signs nothing issued after it was retired (a key is often retired because it leaked).
    usable = [raw for raw, retired_at in candidates
              if not retired_at or (issued is not None and issued <= _utc(retired_at))]
    if len(usable) < len(candidates) and not usable:
        failed.append("签名所用密钥在报告出具时间之前已停用：该报告不是平台出具的")
    candidates_raw = usable
    try:
        signature = base64.b64decode(verification["signature"], validate=True)
    except ValueError:
        signature = b""
    good = False
    for raw in candidates_raw:
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(signature, message.encode("utf-8"))
        except (InvalidSignature, ValueError):
            continue
        good = True
        break
    (passed if good else failed).append("平台签名（Ed25519）校验通过" if good else
                                        "平台签名校验未通过（签名无效，或不是所给公钥签发）")
    return passed, failed, named


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="离线验证平台出具的信用报告（JSON 或 PDF）")
    parser.add_argument("report", type=Path, help="报告 JSON 或 PDF 文件")
    parser.add_argument("--key", required=True,
                        help="平台公布的公钥：/api/v1/reports/public-key 的 JSON 文件、PEM 文件或 Base64 公钥")
    args = parser.parse_args(argv)
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: F401
    except ImportError:
        print("需要 Python 包 cryptography：pip install cryptography", file=sys.stderr)
        return 2
    try:
        content, digested, verification = read_report(args.report)
        keys = read_keys(args.key)
    except (Unusable, OSError, ValueError, KeyError) as exc:
        print(f"无法验证：{exc}", file=sys.stderr)
        return 2
    passed, failed, named = check(content, digested, verification, keys)
    for step in passed:
        print(f"✔ {step}")
    for step in failed:
        print(f"✘ {step}")
    if named:
        print("签名所证明的项目：")
        for name, value in named.items():
            print(f"  {name}: {value}")
    print("结论：验证通过，报告内容为平台出具的原文" if not failed else "结论：验证未通过，该报告不可信")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
