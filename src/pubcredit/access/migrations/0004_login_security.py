# Second-factor devices, failed-login counters and rate-limit counters (pubcredit.access.login_models).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('access', '0003_authorizations_matters_querylog'),
    ]

    operations = [
        migrations.CreateModel(
            name='LoginThrottle',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(max_length=16)),
                ('key', models.CharField(max_length=200)),
                ('failures', models.PositiveIntegerField(default=0)),
                ('window_started', models.DateTimeField()),
                ('locked_until', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name': '登录失败计数',
                'verbose_name_plural': '登录失败计数',
                'constraints': [models.UniqueConstraint(fields=('scope', 'key'), name='login_throttle_scope_key')],
            },
        ),
        migrations.CreateModel(
            name='RateCounter',
            fields=[
                ('bucket', models.CharField(max_length=200, primary_key=True, serialize=False)),
                ('window_end', models.BigIntegerField()),
                ('hits', models.PositiveIntegerField()),
            ],
            options={
                'verbose_name': '访问频率计数',
                'verbose_name_plural': '访问频率计数',
            },
        ),
        migrations.CreateModel(
            name='TotpDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('secret', models.BinaryField(editable=False)),
                ('enrolled_at', models.DateTimeField(verbose_name='绑定时间')),
                ('enrolled_by', models.CharField(max_length=150, verbose_name='绑定方式')),
                ('last_used_step', models.BigIntegerField(blank=True, editable=False, null=True)),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='最近验证')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='totp_device', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
            ],
            options={
                'verbose_name': '动态口令设备',
                'verbose_name_plural': '动态口令设备',
            },
        ),
        # Counters are cheap to lose on a crash; skipping the WAL keeps each request to one short write.
        migrations.RunSQL(
            "ALTER TABLE access_ratecounter SET UNLOGGED",
            reverse_sql="ALTER TABLE access_ratecounter SET LOGGED",
        ),
    ]
