"""Login pages: password, one-time code, authenticator enrolment, logout, identity provider.

Thin: the throttle and the code checks are in ``signin``; what the session may reach is decided
by ``middleware.SecondFactorMiddleware``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import auth
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from mozilla_django_oidc.views import (  # type: ignore[import-untyped]
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from pubcredit.access import clientip, oidc, otp, signin, throttle
from pubcredit.access.forms import CodeForm, LoginForm
from pubcredit.access.signin import Outcome

logger = logging.getLogger(__name__)


def _next(request: HttpRequest) -> str:
    """The page to return to, if it is on this site; else ""."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return ""


def _home(request: HttpRequest) -> str:
    return reverse("admin:index") if getattr(request.user, "is_staff", False) else "/"


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _second_step(user: object, next_url: str) -> HttpResponseRedirect:
    step = "accounts:totp" if otp.has_device(user) else "accounts:totp_setup"
    return HttpResponseRedirect(_with_next(reverse(step), next_url))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = signin.check_password(request, form.cleaned_data["username"], form.cleaned_data["password"],
                                       ip=clientip.client_key(request))
        if result.outcome is Outcome.OK:
            auth.login(request, result.user)
            if otp.needs_second_factor(result.user):
                return _second_step(result.user, next_url)
            return HttpResponseRedirect(next_url or _home(request))
        if result.outcome is Outcome.LOCKED:
            form.add_error(None, throttle.lock_message(throttle.USERNAME))
            status = 429
        else:
            form.add_error(None, _("用户名或密码不正确"))
    return render(request, "access/login.html", {
        "form": form, "next": next_url, "oidc_enabled": oidc.is_configured(),
        "oidc_failed": request.GET.get("oidc") == "failed",
    }, status=status)


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return HttpResponseRedirect("/")


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own password-only login is replaced by ours (then the one-time code).

    The admin sends here whoever it does not let in. Signed in (the middleware has already
    required the code): a back-office account goes on, any other is refused — sending it to a
    login page would only bring it back here.
    """
    next_url = _next(request) or reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_staff and request.user.is_active:
            return HttpResponseRedirect(next_url)
        raise PermissionDenied
    return HttpResponseRedirect(_with_next(reverse("accounts:login"), next_url))


def _code_error(form: CodeForm, outcome: Outcome) -> int:
    if outcome is Outcome.LOCKED:
        form.add_error("code", throttle.lock_message(throttle.TOTP))
        return 429
    if outcome is Outcome.REUSED_CODE:
        form.add_error("code", _("该验证码已经用过，请等待应用显示下一个验证码后再输入"))
    else:
        form.add_error("code", _("验证码不正确。请确认输入的是当前显示的验证码，且手机时间准确"))
    return 200


@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def totp_view(request: HttpRequest) -> HttpResponse:
    """Step two: the code from the enrolled authenticator."""
    next_url = _next(request)
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(_with_next(reverse("accounts:login"), next_url))
    if not otp.needs_second_factor(user) or otp.is_verified(request):
        return HttpResponseRedirect(next_url or _home(request))
    if not otp.has_device(user):
        return HttpResponseRedirect(_with_next(reverse("accounts:totp_setup"), next_url))
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = signin.check_code(user, form.cleaned_data["code"], ip=clientip.client_key(request))
        if result.outcome is Outcome.OK:
            otp.mark_verified(request)
            return HttpResponseRedirect(next_url or _home(request))
        if result.outcome is Outcome.NO_DEVICE:
            return HttpResponseRedirect(_with_next(reverse("accounts:totp_setup"), next_url))
        status = _code_error(form, result.outcome)
    return render(request, "access/totp.html", {"form": form, "next": next_url}, status=status)


@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    """Enrolment: show a new secret (text, otpauth URI, QR code) and bind it once a code from it is given.

    An account that already has an authenticator must pass it first: enrolling anew is not a way
    around the second factor. ``PUBCREDIT_TOTP_SELF_ENROL = False`` leaves first enrolment to
    operators (``pubcredit users totp``).
    """
    next_url = _next(request)
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(_with_next(reverse("accounts:login"), next_url))
    if not otp.needs_second_factor(user):
        return HttpResponseRedirect(next_url or _home(request))
    verified = otp.is_verified(request)
    if not verified and otp.has_device(user):
        return HttpResponseRedirect(_with_next(reverse("accounts:totp"), next_url))
    if not verified and not getattr(settings, "PUBCREDIT_TOTP_SELF_ENROL", True):
        return render(request, "access/totp_setup.html", {"self_enrol": False}, status=403)
    secret = str(request.session.get(otp.ENROL_SESSION_KEY) or "")
    if not secret:
        secret = otp.new_secret()
        request.session[otp.ENROL_SESSION_KEY] = secret
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = signin.confirm_enrolment(user, secret, form.cleaned_data["code"], ip=clientip.client_key(request))
        if result.outcome is Outcome.OK:
            otp.mark_verified(request)
            return HttpResponseRedirect(next_url or _home(request))
        status = _code_error(form, result.outcome)
    uri = otp.provisioning_uri(secret, user.get_username())
    return render(request, "access/totp_setup.html", {
        "self_enrol": True, "form": form, "next": next_url, "secret": otp.grouped(secret), "uri": uri,
        # Generated here from our own URI by the qrcode package: markup we made, not user input.
        "qr_svg": mark_safe(otp.qr_svg(uri)),  # noqa: S308
        "replacing": verified and otp.has_device(user),
    }, status=status)


# --- identity provider ----------------------------------------------------------------------

class _CallbackView(OIDCAuthenticationCallbackView):
    @property
    def failure_url(self) -> str:
        return reverse("accounts:login") + "?oidc=failed"


def oidc_start(request: HttpRequest) -> HttpResponse:
    """Off to the identity provider (state, nonce and PKCE verifier kept in the session)."""
    if not oidc.is_configured():
        raise Http404
    response: HttpResponse = OIDCAuthenticationRequestView.as_view()(request)
    return response


def oidc_callback(request: HttpRequest) -> HttpResponse:
    """Back from the identity provider: exchange the code, map the claims, sign in (no second factor)."""
    if not oidc.is_configured():
        raise Http404
    try:
        response: HttpResponse = _CallbackView.as_view()(request)
    except (requests.RequestException, SuspiciousOperation) as exc:
        logger.warning("identity-provider sign-in failed: %s", exc)
        return HttpResponseRedirect(reverse("accounts:login") + "?oidc=failed")
    return response
