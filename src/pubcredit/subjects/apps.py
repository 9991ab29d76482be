from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "pubcredit.subjects"
    label = "subjects"
