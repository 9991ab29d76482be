"""Officer pages (Art. 13): upload a file, read what is wrong row by row, download the rejected rows.

Under /officer/, which the access middleware keeps to staff who passed their second factor.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from pubcredit.access.readers import Reader, reader_for_request
from pubcredit.catalog.models import Department
from pubcredit.collection import queries, queued, services
from pubcredit.collection.forms import UploadForm
from pubcredit.collection.models import BatchChannel, BatchStatus
from pubcredit.collection.readers import open_rows
from pubcredit.errors import NotFound, NotPermitted, PubcreditError


def _officer(request: HttpRequest) -> Reader | HttpResponse:
    try:
        reader = reader_for_request(request, channel="web")
    except PubcreditError as exc:  # a refused token or Authorization scheme, a NUL in matter/purpose: not a 500
        status, title = (403, _("无权访问")) if isinstance(exc, NotPermitted) else (400, _("请求有误"))
        return render(request, "portal/error.html", {"title": title, "message": exc.message}, status=status)
    if reader.kind != "officer" or reader.department_id is None:
        return render(request, "portal/error.html", {"title": _("无权访问"),
                                                      "message": _("此页面仅供部门工作人员使用。")}, status=403)
    return reader


@login_required
def batches(request: HttpRequest) -> HttpResponse:
    """The department's batches, newest first, and the upload form."""
    reader = _officer(request)
    if isinstance(reader, HttpResponse):
        return reader
    department = Department.objects.get(pk=reader.department_id or 0)  # set: _officer checked it
    form = UploadForm(request.POST or None, request.FILES or None, department_id=department.pk)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            entry = form.cleaned_data["entry"]
            actor = f"user:{request.user.get_username()}"
            try:
                if upload.size > settings.PUBCREDIT_BACKGROUND_UPLOAD_BYTES:
                    # A large file does not hold a web thread (one of a handful) for a minute: it is
                    # kept and collected by a task worker; the batch's page shows how far it is.
                    upload.seek(0)
                    batch = queued.receive_file(entry_code=entry.code, department=department, upload=upload,
                                                filename=upload.name or "", actor=actor, channel=BatchChannel.ADMIN)
                else:
                    with open_rows(upload, filename=upload.name or "") as source:
                        # The file's digest is known once it is read: submit_batch records it then.
                        batch = services.submit_batch(entry_code=entry.code, department=department, rows=source,
                                                      channel=BatchChannel.ADMIN, filename=upload.name or "",
                                                      actor=actor)
            except PubcreditError as exc:
                form.add_error("file", exc.message)
                status = 400
            else:
                return HttpResponseRedirect(reverse("collection:batch", args=[batch.pk]))
        else:
            status = 400
    recent = list(queries.batches_of_department(department.pk)[:50])
    background_mb = max(1, settings.PUBCREDIT_BACKGROUND_UPLOAD_BYTES // (1024 * 1024))
    return render(request, "collection/batches.html", {"form": form, "batches": recent, "department": department,
                                                       "background_mb": background_mb}, status=status)


@login_required
def batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    """One batch: counts and every rejected row with its row number, field and reason."""
    reader = _officer(request)
    if isinstance(reader, HttpResponse):
        return reader
    try:
        found = queries.batch_for(batch_id, reader=reader)
    except NotFound as exc:
        return render(request, "portal/error.html", {"title": _("未找到"), "message": exc.message}, status=404)
    rejections = queries.rejections_of(found)
    waiting = found.status in (BatchStatus.RECEIVED, BatchStatus.PROCESSING)  # a file collected in the background
    labels = {str(f["name"]): str(f.get("label") or "") for f in found.entry_version.fields or ()}
    shown = [{"row_number": r.row_number, "field": r.field, "label": labels.get(r.field, ""), "reason": r.reason}
             for r in rejections]
    return render(request, "collection/batch.html", {"batch": found, "rejections": shown, "waiting": waiting,
                                                     "truncated": found.rejected > len(rejections)})


@login_required
def rejected_csv(request: HttpRequest, batch_id: int) -> HttpResponse | StreamingHttpResponse:
    reader = _officer(request)
    if isinstance(reader, HttpResponse):
        return reader
    try:
        found = queries.batch_for(batch_id, reader=reader)
    except NotFound as exc:
        return render(request, "portal/error.html", {"title": _("未找到"), "message": exc.message}, status=404)
    response = StreamingHttpResponse(services.rejected_rows_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-{found.pk}-rejected.csv"'
    return response
