"""The official working-day calendar as loaded: one row per special day, one per schedule (Art. 34, 35).

Only days that differ from the weekday rule are stored (holidays and make-up working days);
an ordinary Monday–Friday is a working day and an ordinary weekend day is not. Rows are
written only by ``services.load_schedule`` and the seeding migration.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SpecialDayKind(models.TextChoices):
    """Stored kinds; the values are those of ``rules.DayKind``."""

    HOLIDAY = "holiday", _("法定节假日")
    MAKEUP_WORKDAY = "makeup_workday", _("调休上班日")


class ScheduleYear(models.Model):
    """The holiday schedule of one year as published by the State Council, and who loaded it.

    A year with a row here is *known*: its deadlines are final. A later correction replaces
    the days and keeps the earlier version in ``history``.
    """

    year = models.PositiveSmallIntegerField(_("年度"), primary_key=True)
    source = models.TextField(_("来源"), help_text=_("通知名称与文号，以及载入的文件名"))
    loaded_at = models.DateTimeField(_("载入时间"), default=timezone.now)
    loaded_by = models.CharField(_("载入人"), max_length=150)
    history = models.JSONField(
        _("此前版本"), default=list, blank=True,
        help_text=_("被替换的各版本：来源、载入时间、载入人及当时的日期表"),
    )

    class Meta:
        verbose_name = _("年度节假日安排")
        verbose_name_plural = _("年度节假日安排")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} 年节假日安排"


class CalendarDay(models.Model):
    """A statutory holiday or make-up working day, with the schedule (notice) that set it.

    ``schedule`` is usually the date's own year; New Year days at the end of December are set
    by the next year's notice and belong to that schedule.
    """

    date = models.DateField(_("日期"), primary_key=True)
    kind = models.CharField(_("类型"), max_length=16, choices=SpecialDayKind.choices)
    holiday_name = models.CharField(_("节日"), max_length=50, blank=True,
                                    help_text=_("节假日所属的节日；调休上班日为其调休的节日"))
    schedule = models.ForeignKey(ScheduleYear, on_delete=models.PROTECT, related_name="days",
                                 verbose_name=_("所属年度安排"))

    class Meta:
        verbose_name = _("节假日与调休日")
        verbose_name_plural = _("节假日与调休日")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=SpecialDayKind.values), name="workdays_day_kind_valid"),
            models.CheckConstraint(
                condition=~models.Q(kind=SpecialDayKind.MAKEUP_WORKDAY) | models.Q(date__iso_week_day__gte=6),
                name="workdays_makeup_on_weekend",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=SpecialDayKind.HOLIDAY) | ~models.Q(holiday_name=""),
                name="workdays_holiday_named",
            ),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{self.date} {self.holiday_name}{label}" if self.holiday_name else f"{self.date} {label}"
