from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "pubcredit.access"
    label = "access"

    def ready(self) -> None:
        from pubcredit.access import audit_hooks  # noqa: F401  (connects the audit receivers)
