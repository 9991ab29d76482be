"""The background-task app (django-tasks' database backend) under a Chinese name in the back-office."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class TasksConfig(TasksAppConfig):
    verbose_name = _("后台任务")  # type: ignore[assignment]  # the library types it as str; Django takes lazy text

    def ready(self) -> None:
        super().ready()
        from django_tasks_db.admin import DBTaskResultAdmin
        from django_tasks_db.models import DBTaskResult

        # Labels the library gives as plain English text, so no catalogue can translate them: the
        # list's task column (a property) and two fields of a task's page.
        DBTaskResult.task_name.fget.short_description = _("任务")  # type: ignore[attr-defined]
        DBTaskResultAdmin.display_run_after.short_description = _("最早执行时间")  # type: ignore[attr-defined]
        DBTaskResultAdmin.formatted_traceback.short_description = _("出错位置")  # type: ignore[attr-defined]
