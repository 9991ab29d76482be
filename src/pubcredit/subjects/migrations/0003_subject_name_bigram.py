"""Two-character name searches by index: the function ``subject_name_bigrams`` and a GIN index on it."""

import django.contrib.postgres.indexes
from django.db import migrations, models

import pubcredit.subjects.lookups

# The two-character pieces of lower(t), in order, repeats kept (GIN keeps each key once per row;
# leaving out DISTINCT makes the function a third cheaper, and it runs for every new organisation).
# IMMUTABLE, as an index expression must be; STRICT (NULL in, NULL out); a name of one character
# has no bigram (empty array).
CREATE_FUNCTION = """
CREATE FUNCTION subject_name_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY(SELECT substr(lower(t), i, 2) FROM generate_series(1, char_length(t) - 1) AS i)
$$
"""


class Migration(migrations.Migration):

    dependencies = [
        ('subjects', '0002_subject_fewer_indexes'),
    ]

    operations = [
        migrations.RunSQL(CREATE_FUNCTION, "DROP FUNCTION subject_name_bigrams(text)"),
        migrations.AddIndex(
            model_name='subject',
            index=django.contrib.postgres.indexes.GinIndex(
                pubcredit.subjects.lookups.NameBigrams('name'),
                condition=models.Q(('kind__in', ['legal_person', 'unincorporated_org'])),
                name='subject_name_bigram'),
        ),
    ]
