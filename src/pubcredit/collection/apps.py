from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "pubcredit.collection"
    label = "collection"
