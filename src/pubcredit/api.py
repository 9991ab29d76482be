"""The one NinjaAPI of the platform, mounted at ``/api/v1/`` with its schema at ``openapi.json``.

Errors from the service layer are mapped here, once: every ``PubcreditError`` becomes its HTTP
status with ``{"code", "message", "field"}``; request validation errors become 400.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from pubcredit.access.api import router as authorizations_router
from pubcredit.collection.api import router as collection_router
from pubcredit.collection.market_api import router as market_router
from pubcredit.errors import Busy, PubcreditError
from pubcredit.monitoring.api import router as monitoring_router
from pubcredit.reports.api import router as reports_router
from pubcredit.reports.api import subject_router as subject_reports_router
from pubcredit.reports.batch_api import router as batch_queries_router
from pubcredit.subjects.api import router as subjects_router

api = NinjaAPI(
    title="杭州市公共信用信息平台 API",
    version="1",
    description="Public credit information platform of Hangzhou (draft Social Credit Regulations).",
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api-v1",
)


@api.exception_handler(PubcreditError)
def _service_error(request: HttpRequest, exc: PubcreditError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, Busy):
        response["Retry-After"] = str(exc.retry_after)
    return response


# Request validation errors in Chinese, the API's first language, by pydantic's error type; the
# type's own (English) text for anything not listed. ``errors`` keeps pydantic's details.
_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": "必填项，不能为空",
    "string_type": "应为字符串",
    "string_unicode": "不是有效的 Unicode 文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "不能超过 {max_length} 个字符",
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "greater_than_equal": "不能小于 {ge}", "less_than_equal": "不能大于 {le}",
    "greater_than": "应大于 {gt}", "less_than": "应小于 {lt}",
    "date_type": "应为 YYYY-MM-DD 格式的日期", "date_parsing": "应为 YYYY-MM-DD 格式的日期",
    "date_from_datetime_parsing": "应为 YYYY-MM-DD 格式的日期",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false",
    "dict_type": "应为 JSON 对象", "model_type": "应为 JSON 对象", "model_attributes_type": "应为 JSON 对象",
    "list_type": "应为数组", "too_long": "最多 {max_length} 项", "too_short": "至少 {min_length} 项",
    "json_invalid": "请求体不是有效的 JSON", "json_type": "请求体不是有效的 JSON",
}


def validation_message(error: dict[str, Any]) -> str:
    """The Chinese message of one pydantic error (its own message for types not listed)."""
    template = _VALIDATION_MESSAGES.get(str(error.get("type", "")))
    if template is None:
        return str(error.get("msg", "请求有误"))
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return str(error.get("msg", "请求有误"))


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path")]
    body = {
        "code": "invalid",
        "message": validation_message(first) if first else "请求有误",
        "field": ".".join(loc),
        "errors": exc.errors,
    }
    return api.create_response(request, body, status=400)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"code": "unauthenticated", "message": "请先登录或提供接口令牌"}, status=401)


_HTTP_ERROR_MESSAGES = {"Cannot parse request body": "请求体无法解析：应为有效的 JSON",
                        "CSRF check Failed": "CSRF 校验失败：网页登录的请求须带 CSRF 令牌，程序调用请用接口令牌"}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = _HTTP_ERROR_MESSAGES.get(str(exc), str(exc))
    if str(exc) == "Cannot parse request body":  # as a batch's unreadable body: invalid, naming the body
        return api.create_response(request, {"code": "invalid", "message": message, "field": "body"}, status=400)
    return api.create_response(request, {"code": "error", "message": message}, status=exc.status_code)


api.add_router("/subjects", subjects_router, tags=["subjects"])
api.add_router("/subjects", subject_reports_router, tags=["reports"])  # /subjects/{code}/report[.pdf], special-report
api.add_router("/reports", reports_router, tags=["reports"])
api.add_router("/batch-queries", batch_queries_router, tags=["batch queries"])
api.add_router("/authorizations", authorizations_router, tags=["authorizations"])
api.add_router("/departments", monitoring_router, tags=["departments"])
api.add_router("/market-records", market_router, tags=["market credit information"])
api.add_router("/", collection_router, tags=["collection"])  # /catalog/{entry_code}/batches, /batches/{id}
