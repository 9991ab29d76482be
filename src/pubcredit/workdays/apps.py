from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "pubcredit.workdays"
    label = "workdays"
