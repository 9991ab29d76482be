"""Portal forms: validation errors shown next to the field, in Chinese, keeping what was typed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _date_input() -> forms.DateInput:
    """A browser date picker: ``type=date`` takes its value in ISO form only (YYYY-MM-DD) and drops
    any other, such as the active language's format (zh-hans: 2026/11/27), with a console warning."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class AuthorizationForm(forms.Form):
    grantee_code = forms.CharField(label=_("被授权机构统一社会信用代码"), max_length=18, min_length=18)
    purpose = forms.CharField(label=_("查询用途"), max_length=200)
    valid_from = forms.DateField(label=_("生效日期"), widget=_date_input())
    valid_until = forms.DateField(label=_("截止日期"), widget=_date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["valid_from"].initial = today
        self.fields["valid_until"].initial = today + timedelta(days=30)


class DeclarationForm(forms.Form):
    """自主申报 (Art. 15): lengths and categories come from the published catalog entry's fields."""

    title = forms.CharField(label=_("申报事项"))
    category = forms.ChoiceField(label=_("申报类别"), choices=())
    content = forms.CharField(label=_("申报内容"), widget=forms.Textarea(attrs={"rows": 5}))
    occurred_on = forms.DateField(label=_("发生日期"), widget=_date_input())
    evidence_ref = forms.CharField(label=_("证明材料编号或链接（选填）"), required=False)

    def __init__(self, *args: Any, spec: Mapping[str, Mapping[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spec = spec or {}
        allowed = (spec.get("category") or {}).get("allowed") or []
        category = self.fields["category"]
        if isinstance(category, forms.ChoiceField):
            category.choices = [("", "——"), *((str(v), str(v)) for v in allowed)]
        for name in ("title", "content", "evidence_ref"):
            limit = (spec.get(name) or {}).get("max_length")
            field = self.fields[name]
            if isinstance(limit, int) and isinstance(field, forms.CharField):
                field.max_length = limit
                field.validators.append(MaxLengthValidator(limit))
                field.widget.attrs["maxlength"] = str(limit)
        self.fields["occurred_on"].widget.attrs["max"] = timezone.localdate().isoformat()
