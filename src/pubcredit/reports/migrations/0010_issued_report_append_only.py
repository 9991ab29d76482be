"""Issued reports are append-only in PostgreSQL (Art. 40 anti-forgery), like the query log.

An issued row is what a verification code names: deleting it made a genuine report unverifiable,
changing it made the verify page vouch for something else (the signature check catches a change,
not a deletion). Now UPDATE and DELETE raise SQLSTATE 42501; TRUNCATE too, except in Django's test
databases. The report-load benchmark, which clears today's reports in its own scratch database,
does so with the triggers off (``session_replication_role``).
"""

from django.db import migrations

FORWARD = r"""
CREATE TRIGGER issuedreport_append_only
    BEFORE UPDATE OR DELETE ON reports_issuedreport
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
CREATE TRIGGER issuedreport_no_truncate
    BEFORE TRUNCATE ON reports_issuedreport
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS issuedreport_no_truncate ON reports_issuedreport;
DROP TRIGGER IF EXISTS issuedreport_append_only ON reports_issuedreport;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0009_batch_query_token"),
        ("access", "0007_query_log_append_only"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
