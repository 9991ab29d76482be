"""subjects.queries.reader_and_subject: the reader and the subject of an API read, in one round trip
for an API token and a valid code, with the checks and their order of the two look-ups it replaces."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access import tokens
from pubcredit.access.models import ApiToken
from pubcredit.subjects.models import Subject
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    bank = f.org(name="杭州一程银行")
    issued = tokens.create_agency_token(bank, name="查询", actor="test")
    return {"bank": bank, "secret": issued.secret, "token": issued.token, "company": f.org(name="杭州一程有限公司"),
            "person": f.person(name="赵一程")}


def _get(path: str, secret: str | None = None, **params: str) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    res = Client().get(path, params, headers=headers)
    return res.status_code, res.json()


def test_an_agency_reads_a_subject_with_one_statement_for_token_and_subject(world: dict[str, Any],
                                                                            django_assert_num_queries: Any) -> None:
    path = f"/api/v1/subjects/{world['company'].uscc}"
    assert _get(path, world["secret"])[0] == 200  # first use: prepares, stamps the token
    with django_assert_num_queries(2):  # token + subject, then the profile read
        status, body = _get(path, world["secret"])
    assert status == 200
    assert body["name"] == "杭州一程有限公司"
    with django_assert_num_queries(3):  # the report: token + subject, the read, the write
        assert _get(f"{path}/report", world["secret"])[0] == 200


def test_a_person_is_found_by_resident_id_number_behind_a_token(world: dict[str, Any]) -> None:
    from pubcredit.subjects import pii

    person: Subject = world["person"]
    code = pii.decrypt_resident_id(bytes(person.resident_id_enc or b""))
    status, body = _get(f"/api/v1/subjects/{code}", world["secret"])
    assert status == 200
    assert body["name"] == "赵*程"  # masked: the agency is not the person


@pytest.mark.parametrize(("secret", "code", "status", "field"), [
    ("bad", "valid-unknown", 403, None),  # what cannot be a token, whatever the code
    ("pct_unknown-token", "valid-unknown", 403, None),
    ("pct_unknown-token", "malformed", 403, None),  # the token is judged before the code, as always
    ("pct_unknown-token", "known", 403, None),  # a known subject is never handed to a refused token
    ("good", "malformed", 400, "code"),
    ("good", "valid-unknown", 404, "code"),
    (None, "valid-unknown", 404, "code"),
    (None, "malformed", 400, "code"),
])
def test_errors_come_in_the_order_of_the_separate_look_ups(world: dict[str, Any], secret: str | None, code: str,
                                                          status: int, field: str | None) -> None:
    codes = {"valid-unknown": f.uscc(), "malformed": "91330106ABCDEFGHIJ", "known": world["company"].uscc}
    got, body = _get(f"/api/v1/subjects/{codes[code]}/report", world["secret"] if secret == "good" else secret)
    assert got == status, body
    assert body.get("field") == field


def test_a_revoked_token_is_refused_and_a_stale_stamp_is_renewed(world: dict[str, Any]) -> None:
    path = f"/api/v1/subjects/{world['company'].uscc}"
    long_ago = timezone.now() - timedelta(hours=2)
    ApiToken.objects.filter(pk=world["token"].pk).update(last_used_at=long_ago)
    assert _get(path, world["secret"])[0] == 200
    assert ApiToken.objects.get(pk=world["token"].pk).last_used_at > long_ago
    tokens.revoke_token(world["token"], actor="test")
    assert _get(path, world["secret"])[0] == 403


def test_a_department_token_reads_as_an_officer_with_its_matter(world: dict[str, Any]) -> None:
    dept = DepartmentFactory()
    issued = tokens.create_department_token(dept, name="读", actor="test")
    path = f"/api/v1/subjects/{world['company'].uscc}"
    # A matter that does not exist: the officer's read is refused by the rule, after both look-ups.
    status, body = _get(path, issued.secret, matter="nope", purpose="审查")
    assert (status, body.get("field")) == (404, "matter")
    assert _get(path, issued.secret)[0] == 200
