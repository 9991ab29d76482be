"""Back-office forms for officers: upload a file of rows under one of the department's entries."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pubcredit.catalog.models import CatalogEntry, VersionState
from pubcredit.collection import rules

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class UploadForm(forms.Form):
    entry = forms.ModelChoiceField(label=_("目录条目"), queryset=CatalogEntry.objects.none(),
                                   empty_label=_("请选择本部门提供的目录条目"))
    file = forms.FileField(label=_("数据文件"),
                           help_text=_("CSV（UTF-8 或 GB18030）、JSON Lines 或 Excel（.xlsx），首行为字段名"))

    def __init__(self, *args: Any, department_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["entry"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = (CatalogEntry.objects.filter(department_id=department_id,
                                                          versions__state=VersionState.PUBLISHED)
                              .exclude(code__in=rules.MARKET_ENTRIES)  # written by subjects and agencies only
                              .distinct().order_by("code"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件过大（上限 200 MB），请分批报送或使用命令行 pubcredit ingest"))
        return upload
