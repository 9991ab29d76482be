from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "pubcredit.portal"
    label = "portal"
