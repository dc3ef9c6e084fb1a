"""SLA configuration as rows (business calendars, policies, targets, escalation rules) and each ticket's clocks."""

import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets import sla
from tickets.models.tickets import ProblemType, Queue, Ticket


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a time zone name such as Asia/Shanghai or UTC."), params={"value": value}
        )


class BusinessCalendar(models.Model):
    """When the desk works: a time zone, weekly working hours and holidays. No hours at all means 24x7."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=60, default="UTC", validators=[validate_time_zone])
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    def schedule(self):
        """This calendar as the arithmetic of tickets.sla sees it (24x7 when no working hours are set)."""
        hours = list(self.hours.all())
        if not hours:
            week = (((0, 1440),),) * 7
        else:
            days = [[] for _day in range(7)]
            for row in hours:
                days[row.weekday].append((row.start_minute, row.end_minute))
            week = tuple(tuple(sorted(day)) for day in days)
        holidays = list(self.holidays.all())
        return sla.Calendar(
            time_zone=self.time_zone,
            week=week,
            holidays=frozenset(h.date for h in holidays if not h.yearly),
            yearly=frozenset((h.date.month, h.date.day) for h in holidays if h.yearly),
        )


class WorkingHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="hours", verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def start_minute(self):
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self):
        return 1440 if self.end == time(0) else self.end.hour * 60 + self.end.minute

    def clean(self):
        if self.start is not None and self.end is not None and self.end_minute <= self.start_minute:
            raise ValidationError(
                {"end": _("Working hours end after they start (00:00 for midnight); split a night shift in two.")}
            )


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="holidays", verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    yearly = models.BooleanField(_("every year"), default=False, help_text=_("The same day and month every year."))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


def default_resolution_pauses():
    return [Ticket.Status.PENDING, Ticket.Status.ON_HOLD]


def no_pauses():
    return []


class PolicyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def matching(self, *, queue_id, problem_type_id, priority, tier):
        """Active policies whose conditions a ticket with these values meets, first match first."""
        return (
            self.active()
            .filter(models.Q(queue=None) | models.Q(queue_id=queue_id))
            .filter(models.Q(problem_type=None) | models.Q(problem_type_id=problem_type_id))
            .filter(models.Q(priority="") | models.Q(priority=priority))
            .filter(models.Q(customer_tier="") | models.Q(customer_tier=tier))
            .order_by("position", "id")
        )


class SLAPolicy(models.Model):
    """Targets for the tickets it matches: conditions are ANDed, an empty one matches all; the first match wins."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0, help_text=_("Policies are tried in this order."))
    active = models.BooleanField(_("active"), default=True)
    queue = models.ForeignKey(Queue, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("queue"))
    problem_type = models.ForeignKey(
        ProblemType, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("problem type")
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Ticket.Priority.choices, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=10, choices=Ticket.Tier.choices, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("business calendar"),
        help_text=_("Empty: 24x7."),
    )
    resolution_pauses = models.JSONField(
        _("statuses that pause resolution"), default=default_resolution_pauses, blank=True
    )
    next_response_pauses = models.JSONField(_("statuses that pause next response"), default=no_pauses, blank=True)
    warn_before_minutes = models.PositiveIntegerField(
        _("warn minutes before due"), null=True, blank=True, help_text=_("Business minutes before the due time.")
    )
    warn_at_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("warn at % of target"),
        null=True,
        blank=True,
        help_text=_("Warn when this share of the target has elapsed."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        statuses = set(Ticket.Status.values) - set(Ticket.DONE)
        for name in ("resolution_pauses", "next_response_pauses"):
            value = getattr(self, name)
            if not isinstance(value, list) or not set(value) <= statuses:
                errors[name] = _("Choose among the open statuses.")
        if self.warn_at_percent is not None and not 1 <= self.warn_at_percent <= 99:
            errors["warn_at_percent"] = _("Between 1 and 99.")
        if self.warn_at_percent is not None and self.warn_before_minutes is not None:
            errors["warn_at_percent"] = _("Warn either some minutes before due or at a share of the target, not both.")
        if errors:
            raise ValidationError(errors)

    def pauses(self, metric):
        """The statuses that pause `metric` (first response never pauses)."""
        if metric == Metric.RESOLUTION:
            return set(self.resolution_pauses or ())
        if metric == Metric.NEXT_RESPONSE:
            return set(self.next_response_pauses or ())
        return set()


class SLATarget(models.Model):
    policy = models.ForeignKey(SLAPolicy, models.CASCADE, related_name="targets", verbose_name=_("policy"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Ticket.Priority.choices)
    minutes = models.PositiveIntegerField(_("business minutes"))

    class Meta:
        ordering = ["metric", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "priority"], name="tickets_target_unique"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="tickets_target_positive"),
        ]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self):
        return f"{self.get_metric_display()} {self.get_priority_display()}: {self.minutes} min"


class EscalationRule(models.Model):
    """Level N of a policy's escalation: when it fires (warning, breach, minutes after breach) and what it does."""

    class Trigger(models.TextChoices):
        WARNING = "warning", _("At the warning")
        BREACH = "breach", _("At the breach")
        AFTER_BREACH = "after_breach", _("Minutes after the breach")

    policy = models.ForeignKey(SLAPolicy, models.CASCADE, related_name="rules", verbose_name=_("policy"))
    level = models.PositiveSmallIntegerField(_("level"))
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    metric = models.CharField(
        _("metric"), max_length=20, choices=Metric.choices, blank=True, help_text=_("Empty: any of the clocks.")
    )
    delay_minutes = models.PositiveIntegerField(
        _("minutes after breach"), default=0, help_text=_("For the trigger 'minutes after the breach' (real minutes).")
    )
    raise_priority_to = models.CharField(
        _("raise priority to"), max_length=10, choices=Ticket.Priority.choices, blank=True
    )
    move_to_queue = models.ForeignKey(
        Queue, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("move to queue")
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("assign to")
    )
    notify_assignee = models.BooleanField(_("email the assignee"), default=False)
    notify_group = models.ForeignKey(
        "auth.Group", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("email this group")
    )

    class Meta:
        ordering = ["level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level", "metric"], name="tickets_rule_unique_level"),
            models.CheckConstraint(condition=models.Q(level__gt=0), name="tickets_rule_level_positive"),
        ]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self):
        return _("Level %(level)s: %(trigger)s") % {"level": self.level, "trigger": self.get_trigger_display()}

    def clean(self):
        if self.trigger == self.Trigger.AFTER_BREACH and not self.delay_minutes:
            raise ValidationError({"delay_minutes": _("Say how many minutes after the breach.")})
        if (
            not (self.raise_priority_to or self.move_to_queue_id or self.assign_to_id or self.notify_assignee)
            and not self.notify_group_id
        ):
            raise ValidationError(_("Give the rule at least one action."))

    def applies_to(self, metric):
        return not self.metric or self.metric == metric


class ClockQuerySet(models.QuerySet):
    def running(self):
        return self.filter(state=SLAClock.State.RUNNING)

    def to_check(self, at):
        """Clocks with a warning, breach or escalation due by `at` (the sweep's indexed query)."""
        return self.filter(next_check_at__lte=at)


class SLAClock(models.Model):
    """One target on one ticket: when it started, when it is due, and what has happened to it.

    Recomputed from the ticket's events by tickets.clocks; warned_at, breached_at and escalated_level record what
    the sweep has applied, so each warning, breach and escalation happens once.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        FULFILLED = "fulfilled", _("Fulfilled")
        STOPPED = "stopped", _("Stopped")

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="clocks", verbose_name=_("ticket"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=0, help_text=_("Next-response clocks count up."))
    policy = models.ForeignKey(
        SLAPolicy, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("policy")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    target_seconds = models.PositiveIntegerField(_("target (business seconds)"))
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    remaining_seconds = models.IntegerField(_("remaining business seconds"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    escalated_level = models.PositiveSmallIntegerField(_("escalation level applied"), default=0)
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True, editable=False)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)

    objects = ClockQuerySet.as_manager()

    class Meta:
        ordering = ["ticket", "metric", "cycle"]
        constraints = [models.UniqueConstraint(fields=["ticket", "metric", "cycle"], name="tickets_clock_unique")]
        indexes = [
            models.Index(
                fields=["next_check_at"], name="tickets_clock_check", condition=models.Q(next_check_at__isnull=False)
            ),
            models.Index(fields=["due_at"], name="tickets_clock_due_open", condition=models.Q(state="running")),
            # The dashboard's attainment panel reads the clocks started in a period.
            models.Index(fields=["started_at"], name="tickets_clock_started"),
        ]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")

    def __str__(self):
        return f"{self.ticket_id} {self.metric}#{self.cycle} {self.state}"

    def is_breached_at(self, at):
        """Whether the target is missed at `at`: the sweep recorded it, or the due time passed before fulfilment."""
        if self.breached_at is not None:
            return True
        if self.due_at is None:
            return False
        if self.fulfilled_at is not None:
            return self.fulfilled_at > self.due_at
        return self.due_at <= at
