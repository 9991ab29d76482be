"""The platform's URLs plus ``/bench/bare/<code>``: the report's subject look-up with none of our logic
(no reader, visibility, records, query log, report, signature) — the baseline of ``tests.bench.report_load``."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from pubcredit.subjects.models import Subject
from pubcredit.urls import handler400, handler403, handler404, handler500
from pubcredit.urls import urlpatterns as platform_urls

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def bare(request: HttpRequest, code: str) -> JsonResponse:
    row = Subject.objects.filter(uscc=code).values_list("id", "name").first()
    if row is None:
        return JsonResponse({"code": "not_found"}, status=404)
    return JsonResponse({"id": row[0], "name": row[1]}, json_dumps_params={"ensure_ascii": False})


urlpatterns = [path("bench/bare/<str:code>", bare), *platform_urls]
