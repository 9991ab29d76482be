"""The one NinjaAPI of the platform, mounted at ``/api/v1/`` with its schema at ``openapi.json``.

Errors from the service layer are mapped here, once: every ``PubcreditError`` becomes its HTTP
status with ``{"code", "message", "field"}``; request validation errors become 400.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from pubcredit.access.api import router as authorizations_router
from pubcredit.collection.api import router as collection_router
from pubcredit.collection.market_api import router as market_router
from pubcredit.errors import PubcreditError
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
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path")]
    body = {
        "code": "invalid",
        "message": str(first.get("msg", "invalid request")),
        "field": ".".join(loc),
        "errors": exc.errors,
    }
    return api.create_response(request, body, status=400)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"code": "unauthenticated", "message": "authentication required"}, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"code": "error", "message": str(exc)}, status=exc.status_code)


api.add_router("/subjects", subjects_router, tags=["subjects"])
api.add_router("/subjects", subject_reports_router, tags=["reports"])  # /subjects/{code}/report[.pdf], special-report
api.add_router("/reports", reports_router, tags=["reports"])
api.add_router("/batch-queries", batch_queries_router, tags=["batch queries"])
api.add_router("/authorizations", authorizations_router, tags=["authorizations"])
api.add_router("/departments", monitoring_router, tags=["departments"])
api.add_router("/market-records", market_router, tags=["market credit information"])
api.add_router("/", collection_router, tags=["collection"])  # /catalog/{entry_code}/batches, /batches/{id}
