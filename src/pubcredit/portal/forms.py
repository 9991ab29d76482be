"""Portal forms: validation errors shown next to the field, in Chinese, keeping what was typed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuthorizationForm(forms.Form):
    grantee_code = forms.CharField(label=_("被授权机构统一社会信用代码"), max_length=18, min_length=18)
    purpose = forms.CharField(label=_("查询用途"), max_length=200)
    valid_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["valid_from"].initial = today
        self.fields["valid_until"].initial = today + timedelta(days=30)
