from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionConfig(AppConfig):
    name = "pubcredit.collection"
    label = "collection"
    verbose_name = _("信用信息归集")

    def ready(self) -> None:
        from pubcredit.collection import hooks  # noqa: F401 - connects the receivers
