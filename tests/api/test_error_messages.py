"""Request validation errors of the API are in Chinese, name the field and keep pydantic's details."""

from __future__ import annotations

import pytest
from django.test import Client

from pubcredit.access.models import Role, User
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_user(username="msg", password="x-Long-pass-1", role=Role.SUBJECT,
                                                subject=f.org(name="杭州报错测试有限公司")))
    return client


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"purpose": "贷款", "valid_from": "2030-01-01", "valid_until": "2030-02-01"}, "grantee_code", "必填项，不能为空"),
    ({"grantee_code": 12, "purpose": "贷款", "valid_from": "2030-01-01", "valid_until": "2030-02-01"},
     "grantee_code", "应为字符串"),
    ({"grantee_code": "x" * 19, "purpose": "贷款", "valid_from": "2030-01-01", "valid_until": "2030-02-01"},
     "grantee_code", "不能超过 18 个字符"),
    ({"grantee_code": "x", "purpose": "", "valid_from": "2030-01-01", "valid_until": "2030-02-01"},
     "purpose", "至少 1 个字符"),
    ({"grantee_code": "x", "purpose": "贷款", "valid_from": "明天", "valid_until": "2030-02-01"},
     "valid_from", "应为 YYYY-MM-DD 格式的日期"),
])
def test_body_errors_are_chinese_and_name_the_field(company_client: Client, body: dict[str, object], field: str,
                                                    message: str) -> None:
    res = company_client.post("/api/v1/authorizations", body, content_type="application/json")
    assert res.status_code == 400, res.content
    out = res.json()
    assert (out["field"], out["message"]) == (field, message)
    assert out["errors"]  # pydantic's details are kept


def test_query_errors_and_unparsable_bodies_and_missing_credentials_are_chinese(company_client: Client) -> None:
    code = f.org(name="杭州日志测试有限公司").uscc
    log = company_client.get(f"/api/v1/subjects/{code}/query-log", {"limit": "many"})
    assert (log.status_code, log.json()["message"], log.json()["field"]) == (400, "应为整数", "limit")
    bad = company_client.post("/api/v1/authorizations", "{not json", content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["message"] == "请求体无法解析：应为有效的 JSON"
    anonymous = Client().post("/api/v1/authorizations", {}, content_type="application/json")
    assert (anonymous.status_code, anonymous.json()["message"]) == (401, "请先登录或提供接口令牌")


def test_a_post_without_csrf_token_is_refused_in_chinese() -> None:
    res = Client(enforce_csrf_checks=True).post("/api/v1/authorizations", {}, content_type="application/json")
    assert res.status_code == 403
    assert res.json()["message"].startswith("CSRF 校验失败")
