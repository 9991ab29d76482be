from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "pubcredit.monitoring"
    label = "monitoring"
    verbose_name = _("归集质量监测")
