"""Officer pages: every department's timeliness and quality, and one department in detail (Art. 51).

Thin: the permission check is ``queries.can_view_quality``; the numbers come from the queries.
Anonymous visitors are sent to the staff login; logged-in users without the right get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pubcredit.errors import InvalidInput, NotFound
from pubcredit.monitoring import queries

#: The periods offered on the pages; the API accepts any 1–3650 days.
PERIOD_CHOICES = (30, 90, 180, 365)

View = Callable[..., HttpResponse]


def _error(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "portal/error.html", {"title": title, "message": message}, status=status)


def quality_reader_required(view: View) -> View:
    """Send anonymous visitors to the login page; refuse users ``can_view_quality`` rejects."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not queries.can_view_quality(request.user):
            return _error(request, _("无权访问"), _("部门报送质量仅限工作人员查看。"), 403)
        return view(request, *args, **kwargs)

    return wrapped


def _period_days(request: HttpRequest) -> int:
    raw = request.GET.get("period_days", "")
    if not raw:
        return queries.DEFAULT_PERIOD_DAYS
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("统计期间应为天数"), field="period_days") from None


def _context(request: HttpRequest, period_days: int) -> dict[str, Any]:
    choices = sorted({*PERIOD_CHOICES, period_days})
    return {"period_days": period_days, "period_choices": choices}


@require_GET
@quality_reader_required
def overview(request: HttpRequest) -> HttpResponse:
    try:
        period_days = _period_days(request)
        result = queries.departments_overview(period_days=period_days)
    except InvalidInput as exc:
        return _error(request, _("请求有误"), exc.message, 400)
    return render(request, "monitoring/overview.html", {"o": result, **_context(request, period_days)})


@require_GET
@quality_reader_required
def department(request: HttpRequest, code: str) -> HttpResponse:
    try:
        period_days = _period_days(request)
        result = queries.department_quality(code, period_days=period_days)
    except InvalidInput as exc:
        return _error(request, _("请求有误"), exc.message, 400)
    except NotFound as exc:
        return _error(request, _("未找到"), exc.message, 404)
    return render(request, "monitoring/department.html", {"q": result, **_context(request, period_days)})
