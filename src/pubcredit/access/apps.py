from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "pubcredit.access"
    label = "access"

    def ready(self) -> None:
        from pubcredit.access import audit_hooks  # noqa: F401  (connects the audit receivers)
        from pubcredit.adminkit import check_input_everywhere

        # The admin app is listed first: every app's admin module is loaded by now.
        check_input_everywhere()
