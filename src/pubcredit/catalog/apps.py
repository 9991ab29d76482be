from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "pubcredit.catalog"
    label = "catalog"
