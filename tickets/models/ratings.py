"""The customer's satisfaction rating of a solved ticket: one per ticket, the latest score given counts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models.tickets import Queue, Ticket

SCORES = range(1, 6)
# A rating of 4 or 5 counts as satisfied (CSAT is the share of those).
SATISFIED = 4
COMMENT_MAX = 1000
SCORE_WORDS = {
    1: _("Very dissatisfied"),
    2: _("Dissatisfied"),
    3: _("Neutral"),
    4: _("Satisfied"),
    5: _("Very satisfied"),
}


class RatingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The ratings of the tickets `user` sees (their queues, or all for supervisors)."""
        return self.filter(ticket__in=Ticket.objects.visible_to(user))

    def given_between(self, start, end):
        return self.filter(rated_at__gte=start, rated_at__lt=end)


class Rating(models.Model):
    """How satisfied the customer was with the solution: a score of 1–5 and an optional comment (secrets removed).

    Rating again (a changed mind, or the ticket solved again after a reopen) replaces the score, and the queue and
    assignee are those of the ticket when the latest score was given, so the dashboard credits who solved it.
    """

    ticket = models.OneToOneField(Ticket, models.CASCADE, related_name="rating", verbose_name=_("ticket"))
    score = models.PositiveSmallIntegerField(_("score"), choices=[(n, str(n)) for n in SCORES])
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX, blank=True)
    secrets_removed = models.JSONField(_("secrets removed"), default=list, blank=True)
    # The solve this score is about (the ticket's solved_at then): a link from an earlier solve rates nothing.
    solved_at = models.DateTimeField(_("solved at"))
    queue = models.ForeignKey(
        Queue, models.SET_NULL, null=True, blank=True, related_name="ratings", verbose_name=_("queue")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_ratings",
        verbose_name=_("assignee"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    rated_at = models.DateTimeField(_("rated"))

    objects = RatingQuerySet.as_manager()

    class Meta:
        ordering = ["-rated_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="tickets_score_1_5")]
        indexes = [
            models.Index(fields=["rated_at"], name="tickets_rating_rated"),
            models.Index(fields=["queue", "rated_at"], name="tickets_rating_queue_rated"),
        ]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self):
        return f"{self.ticket_id} {self.score}"

    @property
    def satisfied(self):
        return self.score >= SATISFIED
