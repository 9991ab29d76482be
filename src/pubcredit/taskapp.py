"""The background-task app (django-tasks' database backend) under a Chinese name in the back-office."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class TasksConfig(TasksAppConfig):
    verbose_name = _("后台任务")  # type: ignore[assignment]  # the library types it as str; Django takes lazy text

    def ready(self) -> None:
        super().ready()
        from django_tasks_db.models import DBTaskResult

        # The task list's "task name" column (a property, so no field label to translate).
        DBTaskResult.task_name.fget.short_description = _("任务")  # type: ignore[attr-defined]
