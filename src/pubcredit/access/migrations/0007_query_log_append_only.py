"""The query log is append-only in PostgreSQL (Art. 33, 39), like the audit log (audit/0002).

A subject's 谁查询了我 and the supervisors' view of every query read this table; the model said
"rows are never changed or deleted", but nothing stopped the application's own database role: a
reviewer deleted and altered rows through the ORM. Now UPDATE and DELETE raise SQLSTATE 42501
(insufficient_privilege); TRUNCATE too, except in Django's test databases (``audit_refuse_truncate``,
see audit/0002). ``append_only_guard`` is shared with other append-only tables (reports/0010).
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION append_only_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (id %)', TG_TABLE_NAME, TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER querylog_append_only
    BEFORE UPDATE OR DELETE ON access_querylog
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
CREATE TRIGGER querylog_no_truncate
    BEFORE TRUNCATE ON access_querylog
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS querylog_no_truncate ON access_querylog;
DROP TRIGGER IF EXISTS querylog_append_only ON access_querylog;
DROP FUNCTION IF EXISTS append_only_guard();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("access", "0006_field_names_in_chinese"),
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
