"""Issued credit reports and their rendered PDFs (Art. 40; anti-forgery).

One ``IssuedReport`` per distinct report content: the same content read again (same subject,
same reader basis, same day, same records) is the same report, with the same verification
code, so its PDF is rendered once. Rows are only ever added.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pubcredit.subjects.models import Subject


class ReportKind(models.TextChoices):
    FULL = "full", _("公共信用信息报告")
    SPECIAL = "special", _("专项信用报告")


class ReaderBasis(models.TextChoices):
    PUBLIC = "public", _("社会公众")
    OWN = "own", _("信用主体本人")
    AUTHORIZED = "authorized", _("经授权的查询方")
    GOVERNMENT = "government", _("政务部门（依政务应用清单）")


class IssuedReport(models.Model):
    """A report the platform issued: what it is (digest), to whom (kind of reader), when, signed."""

    code = models.CharField(_("验证码"), max_length=16, unique=True)
    kind = models.CharField(_("报告类型"), max_length=8, choices=ReportKind.choices)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="issued_reports",
                                verbose_name=_("信用主体"))
    # As published on the verify page: a person's name and ID number masked.
    subject_name_public = models.CharField(_("主体名称（公开）"), max_length=200)
    subject_code_public = models.CharField(_("主体代码（公开）"), max_length=18)
    reader_basis = models.CharField(_("查询方类别"), max_length=16, choices=ReaderBasis.choices)
    as_of = models.DateField(_("信息截止日"))
    parameters = models.JSONField(_("报告参数"), default=dict, blank=True)
    content_digest = models.CharField(_("内容摘要（SHA-256）"), max_length=64, unique=True)
    signature = models.CharField(_("签名（Ed25519）"), max_length=100)
    key_id = models.CharField(_("签名密钥标识"), max_length=16)
    issued_at = models.DateTimeField(_("出具时间"), db_index=True)

    class Meta:
        verbose_name = _("已出具报告")
        verbose_name_plural = _("已出具报告")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["subject", "issued_at"], name="issued_report_subject_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.get_kind_display()}"


class ReportPdf(models.Model):
    """The PDF rendering of an issued report, kept so the same content is never rendered twice."""

    report = models.ForeignKey(IssuedReport, on_delete=models.PROTECT, related_name="pdfs")
    template_version = models.PositiveSmallIntegerField()
    pdf = models.BinaryField()
    pages = models.PositiveIntegerField()
    render_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("报告 PDF")
        verbose_name_plural = _("报告 PDF")
        constraints = [models.UniqueConstraint(fields=["report", "template_version"], name="report_pdf_unique")]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.template_version}"
