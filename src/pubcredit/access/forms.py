"""Login forms. Field errors sit next to their field; what was typed (but a password) is kept."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pubcredit.access import otp


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"), max_length=150, strip=True,
        error_messages={"required": _("请输入用户名")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("密码"), max_length=4096, strip=False,
        error_messages={"required": _("请输入密码")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("动态验证码"), max_length=12,
        help_text=_("打开手机上的身份验证器应用，输入当前显示的 6 位数字。"),
        error_messages={"required": _("请输入 6 位动态验证码")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9 ]*", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = otp.normalize_code(self.cleaned_data["code"])
        if len(code) != otp.DIGITS or not code.isdigit():
            raise forms.ValidationError(_("验证码应为 6 位数字"))
        return code
