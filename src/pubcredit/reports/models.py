"""Issued credit reports and their rendered PDFs (Art. 40; anti-forgery).

One ``IssuedReport`` per distinct report content: the same content read again (same subject,
same reader basis, same day, same records) is the same report, with the same verification
code, so its PDF is rendered once. Rows are only ever added.
"""

from __future__ import annotations

import uuid

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

    code = models.CharField(_("验证码"), max_length=16)  # unique: see Meta
    kind = models.CharField(_("报告类型"), max_length=8, choices=ReportKind.choices)
    # Indexed by (subject, issued_at) below: a second index on subject alone is only written, never read.
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="issued_reports",
                                verbose_name=_("信用主体"), db_index=False)
    # As published on the verify page: a person's name and ID number masked.
    subject_name_public = models.CharField(_("主体名称（公开）"), max_length=200)
    subject_code_public = models.CharField(_("主体代码（公开）"), max_length=18)
    reader_basis = models.CharField(_("查询方类别"), max_length=16, choices=ReaderBasis.choices)
    as_of = models.DateField(_("信息截止日"))
    parameters = models.JSONField(_("报告参数"), default=dict, blank=True)
    content_digest = models.CharField(_("内容摘要（SHA-256）"), max_length=64)  # unique: see Meta
    signature = models.CharField(_("签名（Ed25519）"), max_length=100)
    key_id = models.CharField(_("签名密钥标识"), max_length=16)
    # 2: the signature covers kind, information date, reader basis, subject name and parameters too
    # (rules.signed_message); 1: reports issued before, signed over code, digest, subject code, time.
    signature_format = models.PositiveSmallIntegerField(_("签名格式"), default=1)
    issued_at = models.DateTimeField(_("出具时间"), db_index=True)

    class Meta:
        verbose_name = _("已出具报告")
        verbose_name_plural = _("已出具报告")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["subject", "issued_at"], name="issued_report_subject_idx")]
        # Constraints rather than ``unique=True``: the same unique indexes without the extra
        # pattern-matching (LIKE) copies Django adds to unique text columns. Codes and digests are
        # only ever looked up whole, and each index is written on every issue.
        constraints = [models.UniqueConstraint(fields=["code"], name="issued_report_code_unique"),
                       models.UniqueConstraint(fields=["content_digest"], name="issued_report_digest_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.get_kind_display()}"


class ReportPdf(models.Model):
    """The PDF rendering of an issued report, kept so the same content is never rendered twice."""

    report = models.ForeignKey(IssuedReport, on_delete=models.PROTECT, related_name="pdfs",
                               verbose_name=_("已出具报告"))
    template_version = models.PositiveSmallIntegerField(verbose_name=_("模板版本"))
    pdf = models.BinaryField(verbose_name=_("PDF 文件"))
    pages = models.PositiveIntegerField(verbose_name=_("页数"))
    render_ms = models.PositiveIntegerField(verbose_name=_("生成耗时（毫秒）"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("生成时间"))

    class Meta:
        verbose_name = _("报告 PDF")
        verbose_name_plural = _("报告 PDF")
        constraints = [models.UniqueConstraint(fields=["report", "template_version"], name="report_pdf_unique")]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.template_version}"


class PdfRenderStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RENDERING = "rendering", _("生成中")
    FAILED = "failed", _("失败")


class PdfRender(models.Model):
    """A large report's PDF being rendered in the background (``services.report_pdf``).

    One row per issued report and layout while its PDF does not exist; the task that renders it
    stores the ``ReportPdf`` and deletes this row in one transaction. ``reader`` keeps the reader as
    built from the request, so the task assembles exactly the content that was issued (and renders
    nothing if that content has changed since: its digest no longer matches).
    """

    report = models.ForeignKey(IssuedReport, on_delete=models.PROTECT, related_name="pdf_renders",
                               verbose_name=_("已出具报告"))
    template_version = models.PositiveSmallIntegerField(verbose_name=_("模板版本"))
    status = models.CharField(_("状态"), max_length=10, choices=PdfRenderStatus.choices,
                              default=PdfRenderStatus.QUEUED)
    reader = models.JSONField(_("查询方"))
    verify_url = models.CharField(_("验证地址"), max_length=500)
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    requested_at = models.DateTimeField(_("排队时间"))
    started_at = models.DateTimeField(_("开始生成"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告 PDF 生成任务")
        verbose_name_plural = _("报告 PDF 生成任务")
        constraints = [models.UniqueConstraint(fields=["report", "template_version"], name="pdf_render_unique")]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.template_version} {self.get_status_display()}"


# --- batch queries (Art. 40) ----------------------------------------------------------------------

class BatchQueryStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class BatchQueryFormat(models.TextChoices):
    JSONL = "jsonl", _("JSON Lines")
    CSV = "csv", _("CSV")


class BatchQuery(models.Model):
    """A batch query (Art. 40): up to 100 000 codes posted by a credit agency or a department, answered in
    the background, one result line per code, each holding only what that requester may see.

    The owner is the organisation behind the token (an agency, or a department): only it may read
    the job and its results. ``reader`` keeps the reader as built at submission, so the job reads
    exactly as the request would have. Counters move only with the results they count.
    """

    public_id = models.UUIDField(_("任务编号"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("状态"), max_length=8, choices=BatchQueryStatus.choices,
                              default=BatchQueryStatus.QUEUED)
    agency = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="batch_queries", verbose_name=_("信用服务机构"))
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="batch_queries", verbose_name=_("部门"))
    reader = models.JSONField(_("查询方"))
    # The API token the job was posted with: a job reads only while it is not revoked (``batch.run_part``).
    token = models.ForeignKey("access.ApiToken", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="batch_queries", verbose_name=_("接口令牌"))
    format = models.CharField(_("结果格式"), max_length=8, choices=BatchQueryFormat.choices,
                              default=BatchQueryFormat.JSONL)
    # One entry per line as received: the code as given, or null for a blank line of an upload.
    # The codes as received (one entry per input line, None for a blank line), as JSON, encrypted
    # like resident ID numbers (``batch.seal_codes``): many are resident ID numbers.
    codes_sealed = models.BinaryField(_("查询代码（加密）"))
    lines = models.PositiveIntegerField(_("行数"))  # input lines, blank ones included: the chunks to answer
    total = models.PositiveIntegerField(_("代码数"))
    done = models.PositiveIntegerField(_("已处理"), default=0)
    found = models.PositiveIntegerField(_("查得"), default=0)
    not_found = models.PositiveIntegerField(_("未收录"), default=0)
    invalid = models.PositiveIntegerField(_("代码无效"), default=0)
    duplicates = models.PositiveIntegerField(_("重复"), default=0)
    parts_total = models.PositiveIntegerField(_("分段数"))
    parts_done = models.PositiveIntegerField(_("已完成分段"), default=0)
    as_of = models.DateField(_("信息截止日"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.CharField(_("提交方"), max_length=200)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始处理"), null=True, blank=True)
    finished_at = models.DateTimeField(_("处理完成"), null=True, blank=True)
    # Set when the stored answers were deleted at the end of their keeping period (``batch.purge_results``);
    # the job keeps its counts, and its query-log rows stay.
    results_deleted_at = models.DateTimeField(_("结果删除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量查询")
        verbose_name_plural = _("批量查询")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "created_at"], name="batchquery_agency_idx"),
                   models.Index(fields=["department", "created_at"], name="batchquery_dept_idx")]
        constraints = [
            models.CheckConstraint(
                name="batchquery_one_owner",
                condition=(models.Q(agency__isnull=False, department__isnull=True)
                           | models.Q(agency__isnull=True, department__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.get_status_display()} {self.done}/{self.total}"


class BatchQueryChunk(models.Model):
    """The answers to one run of input lines: JSON lines, zlib-compressed, then encrypted like resident
    ID numbers (they hold the codes as given), in line order. Written in the same transaction as that
    run's query-log rows and the job's counters."""

    job = models.ForeignKey(BatchQuery, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("批量查询任务"))
    seq = models.PositiveIntegerField(verbose_name=_("序号"))
    lines = models.PositiveIntegerField(verbose_name=_("行数"))
    data = models.BinaryField(verbose_name=_("结果"))

    class Meta:
        verbose_name = _("批量查询结果")
        verbose_name_plural = _("批量查询结果")
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="batchquery_chunk_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.seq}"
