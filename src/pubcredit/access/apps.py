from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "pubcredit.access"
    label = "access"
    verbose_name = _("用户、授权与查询")

    def ready(self) -> None:
        from pubcredit.access import audit_hooks  # noqa: F401  (connects the audit receivers)
        from pubcredit.adminkit import check_input_everywhere

        # The admin app is listed first: every app's admin module is loaded by now.
        check_input_everywhere()
