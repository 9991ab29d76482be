from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "pubcredit.access"
    label = "access"
