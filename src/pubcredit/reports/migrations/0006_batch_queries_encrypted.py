"""Batch queries' codes and results are encrypted at rest, like resident ID numbers (many are).

Jobs stored before keep their content: their codes are sealed and their result chunks (zlib
JSON lines) encrypted in place, one row at a time.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.db import migrations, models

CODES_PURPOSE = "batch_query_codes"  # as reports.batch: a migration keeps its own copy
RESULTS_PURPOSE = "batch_query_results"


def seal_existing(apps: Any, schema_editor: Any) -> None:
    from pubcredit.subjects import pii

    job_model = apps.get_model("reports", "BatchQuery")
    chunk_model = apps.get_model("reports", "BatchQueryChunk")
    for job_id, codes in job_model.objects.values_list("id", "codes").iterator():
        job_model.objects.filter(pk=job_id).update(
            codes_sealed=pii.seal(orjson.dumps(codes), purpose=CODES_PURPOSE))
    for chunk_id in chunk_model.objects.values_list("id", flat=True).iterator():
        data = chunk_model.objects.values_list("data", flat=True).get(pk=chunk_id)
        chunk_model.objects.filter(pk=chunk_id).update(data=pii.seal(bytes(data), purpose=RESULTS_PURPOSE))


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0005_pdf_renders"),
    ]

    operations = [
        migrations.AddField(
            model_name="batchquery",
            name="codes_sealed",
            field=models.BinaryField(null=True, verbose_name="查询代码（加密）"),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="batchquery", name="codes"),
        migrations.AlterField(
            model_name="batchquery",
            name="codes_sealed",
            field=models.BinaryField(verbose_name="查询代码（加密）"),
        ),
    ]
