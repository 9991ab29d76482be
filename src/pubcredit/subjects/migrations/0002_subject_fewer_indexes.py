"""Subjects keep only the indexes something uses; registering new subjects in bulk paid for all.

* The ``varchar_pattern_ops`` twins Django adds to unique or indexed CharFields (``…_like``,
  for ``LIKE 'prefix%'``) on ``uscc``, ``resident_id_hash`` and ``region_code``: codes are only
  looked up whole, with the unique indexes.
* ``region_code`` alone: nothing looks subjects up by region without their kind
  (``subject_kind_region_idx`` stays).

``uscc`` and ``resident_id_hash`` stay unique, now as named constraints (a field with
``unique=True`` always gets the ``_like`` twin): the existing unique constraints are renamed,
not rebuilt, so uniqueness never lapses.
"""

from django.db import migrations, models

UNIQUE = [
    # (field, constraint name given by unique=True, new name, its LIKE twin)
    ("uscc", "subjects_subject_uscc_key", "subject_uscc_unique", "subjects_subject_uscc_e972ebdb_like"),
    ("resident_id_hash", "subjects_subject_resident_id_hash_key", "subject_resident_id_hash_unique",
     "subjects_subject_resident_id_hash_77bc3cf0_like"),
]

FORWARD = [sql for field, old, new, like in UNIQUE for sql in (
    f"DROP INDEX {like}",
    f"ALTER TABLE subjects_subject RENAME CONSTRAINT {old} TO {new}",
)]
BACKWARD = [sql for field, old, new, like in UNIQUE for sql in (
    f"ALTER TABLE subjects_subject RENAME CONSTRAINT {new} TO {old}",
    f"CREATE INDEX {like} ON subjects_subject ({field} varchar_pattern_ops)",
)]


class Migration(migrations.Migration):

    dependencies = [
        ('subjects', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='subject',
            name='region_code',
            field=models.CharField(blank=True, max_length=6, verbose_name='行政区划代码'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='subject',
                    name='resident_id_hash',
                    field=models.CharField(blank=True, editable=False, max_length=64, null=True),
                ),
                migrations.AlterField(
                    model_name='subject',
                    name='uscc',
                    field=models.CharField(blank=True, max_length=18, null=True, verbose_name='统一社会信用代码'),
                ),
                migrations.AddConstraint(
                    model_name='subject',
                    constraint=models.UniqueConstraint(fields=('uscc',), name='subject_uscc_unique'),
                ),
                migrations.AddConstraint(
                    model_name='subject',
                    constraint=models.UniqueConstraint(fields=('resident_id_hash',),
                                                       name='subject_resident_id_hash_unique'),
                ),
            ],
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
        ),
    ]
