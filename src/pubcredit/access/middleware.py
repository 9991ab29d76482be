"""Request-level protections, each in one place.

``SecurityHeadersMiddleware``  the Content-Security-Policy and Permissions-Policy on every response
``RateLimitMiddleware``        429 with Retry-After past the per-client limit on public read paths
``SecondFactorMiddleware``     staff must pass their one-time code before reaching anything;
                               anonymous visitors of staff paths go to the login page
``ApiErrorMiddleware``         an unexpected error under /api/ answers JSON 500, no details
``MethodNotAllowedMiddleware`` a 405 says why: JSON under /api/, the portal's error page elsewhere

Order in ``settings.MIDDLEWARE``: headers outermost (so even WhiteNoise's and the 429 responses
get them), the rate limit before authentication (an anonymous scraper costs one short query),
the second factor right after ``AuthenticationMiddleware``, the 405 answer innermost (it renders
the page with the request's language and user).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from pubcredit.access import clientip, otp, ratelimit

logger = logging.getLogger("pubcredit.errors")

DEFAULT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")
DEFAULT_PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                              "microphone=(), payment=(), usb=()")
API_PREFIX = "/api/"

Handler = Callable[[HttpRequest], HttpResponse]


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _json(body: dict[str, object], status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


class SecurityHeadersMiddleware:
    """Strict CSP (no inline script or style anywhere, the admin included) and Permissions-Policy.

    A response that already carries its own policy keeps it.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy",
                                    str(getattr(settings, "PUBCREDIT_CSP", DEFAULT_CSP)))
        response.headers.setdefault("Permissions-Policy",
                                    str(getattr(settings, "PUBCREDIT_PERMISSIONS_POLICY", DEFAULT_PERMISSIONS_POLICY)))
        return response


def rate_limited(request: HttpRequest, decision: ratelimit.Decision) -> HttpResponse:
    """The 429 answer: JSON under /api/, a page elsewhere; both say when to come back."""
    message = _("访问过于频繁，请 %(seconds)d 秒后再试。为保护信用主体信息，公共查询限制了访问频率。") % {
        "seconds": decision.retry_after}
    response: HttpResponse
    if _is_api(request):
        response = _json({"code": "rate_limited", "message": message, "retry_after": decision.retry_after}, 429)
    else:
        response = render(request, "access/rate_limited.html", {"message": message}, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


class RateLimitMiddleware:
    """Fixed-window limit per client address on the paths of ``PUBCREDIT_RATE_LIMITS``."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if ratelimit.enabled():
            rule = ratelimit.rule_for(request.path_info)
            if rule is not None:
                decision = ratelimit.hit(rule, clientip.client_key(request))
                if not decision.allowed:
                    return rate_limited(request, decision)
            person_rule = ratelimit.person_code_rule()
            if (person_rule is not None and not request.headers.get("Authorization")
                    and ratelimit.person_code_named(request)):
                decision = ratelimit.hit(person_rule, clientip.client_key(request))
                if not decision.allowed:
                    return rate_limited(request, decision)
        return self.get_response(request)


def _is_staff_path(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in getattr(settings, "PUBCREDIT_STAFF_PATHS", []))


def _is_exempt(path: str) -> bool:
    """Paths an account half-way through signing in may use: the login pages, assets, language."""
    prefixes = ("/accounts/", settings.STATIC_URL or "/static/", "/i18n/", "/favicon.ico")
    return any(path.startswith(prefix) for prefix in prefixes)


class SecondFactorMiddleware:
    """The one place that keeps staff without a passed second factor away from everything.

    * an account that needs a second factor and has not passed it in this session reaches only
      the login pages: pages redirect to the code step (or to enrolment when it has no
      authenticator yet), the API answers 401 ``second_factor_required``;
    * anonymous visitors of ``PUBCREDIT_STAFF_PATHS`` go to the login page (what a signed-in
      account of another role may see there is the views' business: the admin refuses it, the
      quality pages say why).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        user = request.user
        if user.is_authenticated:
            if otp.needs_second_factor(user) and not otp.is_verified(request) and not _is_exempt(path):
                return self._second_factor_required(request)
        elif _is_staff_path(path):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)

    @staticmethod
    def _second_factor_required(request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            return _json({"code": "second_factor_required",
                          "message": _("请先在网页上完成动态验证码验证")}, 401)
        step = "accounts:totp" if otp.has_device(request.user) else "accounts:totp_setup"
        target = reverse(step)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)


class ApiErrorMiddleware:
    """An unexpected exception under /api/ becomes ``{"code": "server_error"}`` 500, logged in full
    (masked) on the server and without any detail for the caller. Pages get ``handler500``."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request) or settings.DEBUG:
            return None
        if isinstance(exception, Http404):
            return _json({"code": "not_found", "message": _("未找到")}, 404)
        if isinstance(exception, PermissionDenied):
            return _json({"code": "not_permitted", "message": _("无权访问")}, 403)
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
            return _json({"code": "too_large", "field": "body",
                          "message": _("请求体超过 %(mb)d MB：大批量数据请以文件上传（multipart/form-data，字段 file）")
                          % {"mb": limit // (1024 * 1024)}}, 413)
        if isinstance(exception, SuspiciousOperation | BadRequest):
            logging.getLogger("django.security").warning("%s %s: %s", request.method, request.path, exception)
            return _json({"code": "invalid", "message": _("请求有误")}, 400)
        logger.error("unhandled error in %s %s", request.method, request.path, exc_info=exception)
        return _json({"code": "server_error", "message": _("服务暂时不可用，请稍后重试。")}, 500)


class MethodNotAllowedMiddleware:
    """A request with a method the view does not take (a POST to ``/search/``) answers 405 with a body
    that says so, ``Allow`` kept: under /api/ JSON as the API's other errors (django-ninja answers the
    text ``Method not allowed``), elsewhere the portal's error page (``require_GET`` and class-based
    views answer 405 with no body at all)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        answer: HttpResponse
        if _is_api(request):
            if response.get("Content-Type", "").startswith("application/json"):
                return response
            answer = _json({"code": "method_not_allowed", "message": _("不支持该请求方式")}, 405)
        elif response.content:
            return response
        else:
            answer = render(request, "portal/error.html", {
                "title": _("不支持的请求方式"),
                "message": _("此页面不支持这种请求方式，请通过页面上的链接或表单访问。"),
            }, status=405)
        answer["Allow"] = response["Allow"]
        return answer
