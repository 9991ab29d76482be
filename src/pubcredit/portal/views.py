"""Public portal pages. Thin: each view builds the reader and calls queries."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

from pubcredit.access import queries as access_queries
from pubcredit.access import services as access_services
from pubcredit.access.models import Authorization
from pubcredit.access.readers import Reader, reader_for_request
from pubcredit.catalog import queries as catalog_queries
from pubcredit.codes import regions
from pubcredit.collection import market
from pubcredit.errors import InvalidInput, NotFound, NotPermitted, PubcreditError
from pubcredit.portal.forms import AuthorizationForm, DeclarationForm
from pubcredit.portal.templatetags.portal_format import ldate
from pubcredit.subjects import queries
from pubcredit.subjects.models import Subject
from pubcredit.textinput import storable

COUNTS_CACHE_SECONDS = 300


def _counts() -> dict[str, Any]:
    counts: dict[str, Any] | None = cache.get("portal:counts")
    if counts is None:
        counts = queries.platform_counts()
        counts["entries"] = len(catalog_queries.published_catalog())
        counts["departments"] = len(catalog_queries.departments())
        cache.set("portal:counts", counts, COUNTS_CACHE_SECONDS)
    return counts


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without an icon link (the back-office's): the portal's icon."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"counts": _counts()})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    try:
        reader = reader_for_request(request, channel="web")
    except PubcreditError as exc:  # a refused token or Authorization scheme, a NUL in matter/purpose
        return _refused(request, exc)
    context: dict[str, Any] = {"query": storable(query)}  # echoed into the form: no NUL in the page
    try:
        result = queries.search(query, reader=reader, page=page)
    except InvalidInput as exc:
        context["error"] = exc.message
        return render(request, "portal/search.html", context, status=400 if query else 200)
    if result.exact is not None:
        return HttpResponseRedirect(reverse("portal:subject", args=[queries.public_url_key(result.exact)]))
    if result.count and result.page > result.pages:  # past the last page (an old link, a typed number): the last
        last = urlencode({"q": result.query, "page": str(result.pages)})
        return HttpResponseRedirect(f"{reverse('portal:search')}?{last}")
    if query:
        context["result"] = {
            "count": result.count, "page": result.page, "pages": result.pages, "capped": result.capped,
            "items": [asdict(s) | {"key": _url_key(s)} for s in result.items],
        }
    return render(request, "portal/search.html", context)


def _url_key(summary: queries.SubjectSummary) -> str:
    return summary.ref if summary.kind == "natural_person" else summary.code


SECTION_TITLES = {"basic": "基础信息", "adverse": "不良信息", "trustworthy": "守信信息"}


@require_GET
def subject(request: HttpRequest, key: str) -> HttpResponse:
    try:
        reader = reader_for_request(request, channel="web")
        found = queries.subject_by_url_key(key)
        # Concealed records left out, marks (异议处理中 …) given, as in the credit report (docs/reports.md).
        prof, marks = queries.shown_profile(found, reader=reader)
    except PubcreditError as exc:
        return _refused(request, exc)
    code = prof.subject.region_code
    region_name = regions.hangzhou_district_name(code) or regions.province_name(code) or ""
    sections = [{"key": k, "title": _(t), "records": [(r, marks.get(r.id, ())) for r in prof.records.get(k, [])]}
                for k, t in SECTION_TITLES.items()]
    return render(request, "portal/subject.html", {
        "p": prof, "sections": sections, "region_name": region_name,
        "public_only": prof.levels == {"public"},
        "matter": reader.matter,
    })


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/catalog.html", {"versions": catalog_queries.published_catalog()})


#: How the catalog's field types read to a department's officer preparing a file.
FIELD_TYPE_LABELS = {
    "string": _lazy("文本"), "text": _lazy("长文本"), "date": _lazy("日期（YYYY-MM-DD）"),
    "decimal": _lazy("数字（不带千分位和单位）"), "integer": _lazy("整数"), "enum": _lazy("代码（见取值）"),
    "uscc": _lazy("统一社会信用代码（18 位）"), "resident_id": _lazy("居民身份证号码（18 位）"),
    "boolean": _lazy("是/否"),
}


def _entry_fields(version: Any) -> list[dict[str, Any]]:
    keys = set(version.natural_key or ())
    out = []
    for spec in version.fields or ():
        labels = spec.get("allowed_labels") or {}
        allowed = [f"{v}（{labels[v]}）" if v in labels else str(v) for v in spec.get("allowed") or ()]
        condition = spec.get("required_if")
        required = _("必填") if spec.get("required") else _("选填")
        if condition and not spec.get("required"):
            required = _("当 %(field)s 为 %(values)s 时必填") % {"field": condition["field"],
                                                            "values": "、".join(condition["in"])}
        out.append({
            "name": spec["name"], "label": spec.get("label") or spec["name"],
            "type": FIELD_TYPE_LABELS.get(str(spec.get("type")), spec.get("type")),
            "required": required,
            "key": spec["name"] in keys, "allowed": allowed, "max_length": spec.get("max_length"),
            "description": spec.get("description") or "", "consent": bool(spec.get("consent_required")),
        })
    return out


@require_GET
def catalog_entry(request: HttpRequest, code: str) -> HttpResponse:
    """One catalog entry as a department prepares its file (Art. 13): every field with its type, whether
    it is required, its allowed values, the natural key — and a CSV template with the header row."""
    try:
        version = catalog_queries.published_version(code)
    except PubcreditError as exc:
        return _refused(request, exc)
    return render(request, "portal/catalog_entry.html", {"v": version, "fields": _entry_fields(version)})


@require_GET
def catalog_template(request: HttpRequest, code: str) -> HttpResponse:
    """The entry's CSV template: UTF-8 with a BOM (Excel opens it), the header row of field names."""
    try:
        version = catalog_queries.published_version(code)
    except PubcreditError as exc:
        return _refused(request, exc)
    header = ",".join(str(spec["name"]) for spec in version.fields or ())
    response = HttpResponse("\ufeff" + header + "\r\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{version.entry.code}-v{version.number}.csv"'
    return response


def _error(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "portal/error.html", {"title": title, "message": message}, status=status)


def _refused(request: HttpRequest, exc: PubcreditError) -> HttpResponse:
    """The error page for what the reader or a query refused, as the report pages answer it: 403 for
    NotPermitted (e.g. an unknown or revoked API token, an ``Authorization`` header that is not
    ``Bearer``), 404 for NotFound, else 400 (InvalidInput: e.g. a NUL in ``matter`` or ``purpose``)."""
    if isinstance(exc, NotPermitted):
        return _error(request, _("无权访问"), exc.message, 403)
    if isinstance(exc, NotFound):
        return _error(request, _("未找到"), exc.message, 404)
    return _error(request, _("请求有误"), exc.message, 400)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, _("请求有误"), _("请求格式不正确，请检查后重试。"), 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, _("无权访问"), _("您没有查看此页面的权限。"), 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The portal's page; under /api/ the API's JSON error (a program reads no HTML), e.g. for an
    unknown address or a path segment holding an encoded ``/``."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": _("未找到该接口：请检查请求地址和方法（见 /api/v1/docs）"),
                             "field": "path"}, status=404, json_dumps_params={"ensure_ascii": False})
    return _error(request, _("未找到"), _("您访问的页面不存在。"), 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The portal's error page, made without the database (which may be what failed): rendered without
    the request's context (no ``user``, whose session the database holds; the header then shows the
    visitor's links); should even that fail, the message as plain text."""
    message = _("服务暂时不可用，请稍后重试。")
    try:
        html = render_to_string("portal/error.html", {
            "title": _("服务暂时不可用"), "message": message, "request": request, "csrf_token": get_token(request)})
    except Exception:  # the error page of an error must not fail
        return HttpResponse(message, status=500, content_type="text/plain; charset=utf-8")
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form posted without a valid CSRF token (left open until the token changed,
    cookies cleared, or posted from another site) gets the portal's error page, 403, with a way back to
    the form it came from (a same-site Referer); under /api/ the API's JSON error. Django's own page is
    in English and not made for phones."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": "csrf_failed",
                             "message": _("CSRF 校验失败：网页登录的请求须带 CSRF 令牌，程序调用请用接口令牌")},
                            status=403, json_dumps_params={"ensure_ascii": False})
    referer = request.headers.get("Referer", "")
    back = referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                      require_https=request.is_secure()) else ""
    return render(request, "portal/error.html", {
        "title": _("无法提交"), "message": _("页面已过期或来源无法确认，请返回上一页刷新后重新提交。"),
        "retry_url": back, "retry_label": _("返回上一页"),
    }, status=403)


# --- the subject's own pages (logged in, bound to its subject) ----------------------------------

def _own_subject_or_error(request: HttpRequest) -> tuple[Reader, Subject] | HttpResponse:
    """The reader of a page of the subject's own and its subject; else the error page to answer."""
    try:
        reader = reader_for_request(request, channel="web")
    except PubcreditError as exc:  # a refused token or Authorization scheme, a NUL in matter/purpose
        return _refused(request, exc)
    if reader.subject_id is None:
        return _error(request, _("无权访问"), _("此页面仅供绑定了信用主体的账号使用。"), 403)
    return reader, Subject.objects.get(pk=reader.subject_id)


@login_required
@require_GET
def my_credit(request: HttpRequest) -> HttpResponse:
    """我的信用: the full report about oneself, every level (Art. 33)."""
    own = _own_subject_or_error(request)
    if isinstance(own, HttpResponse):
        return own
    return subject(request, queries.public_url_key(own[1]))


@login_required
@require_GET
def my_query_log(request: HttpRequest) -> HttpResponse:
    """谁查询了我: the subject's query log (Art. 33, 39)."""
    found = _own_subject_or_error(request)
    if isinstance(found, HttpResponse):
        return found
    reader, own = found
    rows = list(access_queries.query_log_for(own.pk, reader=reader)[:200])
    return render(request, "portal/my_query_log.html", {"rows": rows, "subject": own})


def _posted_id(request: HttpRequest, name: str) -> int | None:
    """The row id a form button posts as ``name`` (e.g. ``revoke``), or None when it is not one: a
    forged value (text, ``1.5``, ``²``, a NUL, a number past bigint) must find nothing, not answer 500."""
    raw = request.POST.get(name, "")
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 18:
        return None
    return int(raw)


@login_required
def my_authorizations(request: HttpRequest) -> HttpResponse:
    """授权管理: grant, see, revoke authorisations (Art. 14, 17)."""
    found = _own_subject_or_error(request)
    if isinstance(found, HttpResponse):
        return found
    reader, own = found
    actor = f"user:{request.user.get_username()}"
    form = AuthorizationForm(request.POST or None)
    if request.method == "POST" and "revoke" in request.POST:
        revoke = _posted_id(request, "revoke")
        auth = Authorization.objects.filter(pk=revoke, subject=own).first() if revoke is not None else None
        if auth is not None and auth.revoked_at is None:
            access_services.revoke_authorization(auth, by_subject=own, actor=actor)
            messages.success(request, _("授权已撤销，自即刻起对方无法再查询。"))
        return HttpResponseRedirect(reverse("portal:my_authorizations"))
    if request.method == "POST" and form.is_valid():
        try:
            grantee = queries.subject_by_code(form.cleaned_data["grantee_code"])
            access_services.grant_authorization(subject=own, grantee=grantee, purpose=form.cleaned_data["purpose"],
                                                valid_from=form.cleaned_data["valid_from"],
                                                valid_until=form.cleaned_data["valid_until"], actor=actor)
        except PubcreditError as exc:
            field = {"code": "grantee_code", "grantee": "grantee_code"}.get(exc.field or "", exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            starts = form.cleaned_data["valid_from"]
            if starts > timezone.localdate():  # listed as 未生效 until then, as ``access.readers.visibility`` reads it
                messages.success(request, _("授权已保存，自 %(date)s 起生效。") % {"date": ldate(starts)})
            else:
                messages.success(request, _("授权已生效。"))
            return HttpResponseRedirect(reverse("portal:my_authorizations"))
    rows = list(access_queries.authorizations_of(own.pk, reader=reader))
    today = timezone.localdate()
    return render(request, "portal/my_authorizations.html", {
        "form": form, "rows": rows, "today": today, "subject": own,
    }, status=400 if request.method == "POST" else 200)


@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    """政务应用清单 (Art. 27), public."""
    return render(request, "portal/application_list.html", {"matters": access_queries.application_list()})


@login_required
def my_declarations(request: HttpRequest) -> HttpResponse:
    """自主申报: declare market credit information about oneself, see and withdraw it (Art. 15, 35)."""
    found = _own_subject_or_error(request)
    if isinstance(found, HttpResponse):
        return found
    own = found[1]
    actor = f"user:{request.user.get_username()}"
    here = reverse("portal:my_declarations")
    if request.method == "POST" and "withdraw" in request.POST:
        try:
            market.withdraw_declaration(_posted_id(request, "withdraw") or 0, subject=own, actor=actor)
        except PubcreditError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("申报已撤回，自即刻起不再展示。"))
        return HttpResponseRedirect(here)
    try:
        spec = market.declaration_spec()
    except NotFound as exc:
        return _error(request, _("未找到"), exc.message, 404)
    form = DeclarationForm(request.POST or None, spec=spec)
    if request.method == "POST" and form.is_valid():
        try:
            market.declare(subject=own, actor=actor, **form.cleaned_data)
        except PubcreditError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("申报已提交，将标注“自主申报”向社会公开。"))
            return HttpResponseRedirect(here)
    return render(request, "portal/my_declarations.html", {
        "form": form, "rows": market.declarations_of(own), "subject": own,
        "public_key": queries.public_url_key(own),
    }, status=400 if request.method == "POST" else 200)
