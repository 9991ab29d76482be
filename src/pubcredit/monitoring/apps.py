from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "pubcredit.monitoring"
    label = "monitoring"
    verbose_name = "归集质量监测"
