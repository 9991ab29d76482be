"""Public portal pages. Thin: each view builds the reader and calls queries."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pubcredit.access.readers import reader_for_user
from pubcredit.catalog import queries as catalog_queries
from pubcredit.codes import regions
from pubcredit.errors import InvalidInput, NotFound
from pubcredit.subjects import queries

COUNTS_CACHE_SECONDS = 300


def _counts() -> dict[str, int]:
    counts: dict[str, int] | None = cache.get("portal:counts")
    if counts is None:
        counts = queries.platform_counts()
        counts["entries"] = len(catalog_queries.published_catalog())
        counts["departments"] = len(catalog_queries.departments())
        cache.set("portal:counts", counts, COUNTS_CACHE_SECONDS)
    return counts


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"counts": _counts()})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    reader = reader_for_user(request.user, channel="web")
    context: dict[str, Any] = {"query": query}
    try:
        result = queries.search(query, reader=reader, page=page)
    except InvalidInput as exc:
        context["error"] = exc.message
        return render(request, "portal/search.html", context, status=400 if query else 200)
    if result.exact is not None:
        return HttpResponseRedirect(reverse("portal:subject", args=[queries.public_url_key(result.exact)]))
    if query:
        context["result"] = {
            "count": result.count, "page": result.page, "pages": result.pages,
            "items": [asdict(s) | {"key": _url_key(s)} for s in result.items],
        }
    return render(request, "portal/search.html", context)


def _url_key(summary: queries.SubjectSummary) -> str:
    return summary.ref if summary.kind == "natural_person" else summary.code


SECTION_TITLES = {"basic": "基础信息", "adverse": "不良信息", "trustworthy": "守信信息"}


@require_GET
def subject(request: HttpRequest, key: str) -> HttpResponse:
    reader = reader_for_user(request.user, channel="web")
    try:
        found = queries.subject_by_url_key(key)
    except InvalidInput as exc:
        return _error(request, _("代码有误"), exc.message, 400)
    except NotFound as exc:
        return _error(request, _("未找到"), exc.message, 404)
    prof = queries.profile(found, reader=reader)
    code = prof.subject.region_code
    region_name = regions.hangzhou_district_name(code) or regions.province_name(code) or ""
    sections = [{"key": k, "title": _(t), "records": prof.records.get(k, [])} for k, t in SECTION_TITLES.items()]
    return render(request, "portal/subject.html", {
        "p": prof, "sections": sections, "region_name": region_name,
        "public_only": prof.levels == {"public"},
    })


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/catalog.html", {"versions": catalog_queries.published_catalog()})


def _error(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "portal/error.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, _("请求有误"), _("请求格式不正确，请检查后重试。"), 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, _("无权访问"), _("您没有查看此页面的权限。"), 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, _("未找到"), _("您访问的页面不存在。"), 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_("服务暂时不可用，请稍后重试。"), status=500, content_type="text/plain; charset=utf-8")
