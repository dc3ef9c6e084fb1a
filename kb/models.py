"""Help center content: categories, sections, articles (with revisions, translations, feedback), announcements."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from helpdesk.i18n import NamedInLanguages
from helpdesk.markdown import render_markdown

LANGUAGE_CHOICES = settings.LANGUAGES


class Category(NamedInLanguages):
    ICONS = [
        ("shield", _("Shield")),
        ("id-card", _("ID card")),
        ("wallet", _("Wallet")),
        ("chart", _("Chart")),
        ("gift", _("Gift")),
        ("headset", _("Headset")),
        ("alert", _("Alert")),
        ("book", _("Book")),
    ]
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    icon = models.CharField(_("icon"), max_length=20, choices=ICONS, default="book")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def get_absolute_url(self):
        return reverse("kb:category", args=[self.slug])


class Section(NamedInLanguages):
    category = models.ForeignKey(Category, models.PROTECT, related_name="sections", verbose_name=_("category"))
    slug = models.SlugField(_("slug"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["category__position", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "slug"], name="kb_section_unique_slug")]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return f"{self.category.name} › {self.name}"

    def get_absolute_url(self):
        return reverse("kb:section", args=[self.category.slug, self.slug])


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None):
        """Visible to the public now: published, and due (publish_at reached)."""
        return self.filter(status=Article.Status.PUBLISHED, publish_at__lte=now or timezone.now())

    def in_language(self, language):
        return self.filter(language=language)

    def for_list(self):
        return self.select_related("section__category").defer(*Article.HEAVY_FIELDS)

    def with_outdated(self):
        """Annotate `outdated`: a translation whose source changed after the translation was last brought in line."""
        return self.annotate(
            outdated=models.ExpressionWrapper(
                Q(source__isnull=False)
                & (Q(source_synced_at__isnull=True) | Q(source__content_changed_at__gt=F("source_synced_at"))),
                output_field=models.BooleanField(),
            )
        )


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    section = models.ForeignKey(Section, models.PROTECT, related_name="articles", verbose_name=_("section"))
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES, default=settings.LANGUAGE_CODE)
    slug = models.SlugField(_("slug"), max_length=200, help_text=_("Shared by an article and its translations."))
    source = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="translations",
        verbose_name=_("translation of"),
        help_text=_("The article this one translates; empty for an original."),
    )
    source_synced_at = models.DateTimeField(_("in line with source as of"), null=True, blank=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body (Markdown)"))
    body_html = models.TextField(editable=False, default="")
    toc = models.JSONField(editable=False, default=list)
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles", verbose_name=_("tags"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("author")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        _("publish at"), null=True, blank=True, help_text=_("Hidden until this time; empty means when published.")
    )
    promoted = models.BooleanField(_("promoted"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    view_count = models.PositiveBigIntegerField(_("views"), default=0, editable=False)
    helpful_yes = models.PositiveIntegerField(default=0, editable=False)
    helpful_no = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    content_changed_at = models.DateTimeField(_("content changed"), default=timezone.now, editable=False)
    # Segmented, stemmed tokens computed at save (kb.search.index); the database indexes them (see migrations).
    search_title = models.TextField(editable=False, default="")
    search_body = models.TextField(editable=False, default="")

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["section", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["language", "slug"], name="kb_article_unique_language_slug")]
        indexes = [
            models.Index(fields=["language", "status", "publish_at"], name="kb_article_visible"),
            models.Index(
                fields=["section", "language", "status", "-promoted", "position", "id"], name="kb_article_section_list"
            ),
            # Search candidates and "top articles": the most popular matches first, without sorting every match.
            models.Index(fields=["language", "status", "-promoted", "-view_count", "-id"], name="kb_article_popular"),
            models.Index(fields=["updated_at"], name="kb_article_updated"),
        ]
        permissions = [("publish_article", _("Can publish and archive articles"))]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    CONTENT_FIELDS = ("title", "summary", "body")
    HEAVY_FIELDS = ("body", "body_html", "toc", "search_title", "search_body")
    EDITOR_STATUSES = (Status.DRAFT, Status.REVIEW)
    STATUS_LOCKED = _("Only a publisher can publish or archive an article, or change the status of a published one.")
    SCHEDULE_LOCKED = _("Only a publisher can change when a published or archived article is shown.")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Render the body, compute the search tokens, schedule; revisions are kept by `kb.actions.save_article`."""
        from kb.search import index

        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"title", "summary", "body", "search_title", "search_body"} & set(update_fields):
            self.body_html, self.toc = render_markdown(self.body)
            index.prepare(self)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "body_html", "toc", "search_title", "search_body"}
        if self.status == self.Status.PUBLISHED and self.publish_at is None:
            self.publish_at = timezone.now()
        with transaction.atomic():
            super().save(*args, **kwargs)
            index.update_vocabulary(self)

    def get_absolute_url(self):
        with override(self.language):
            return reverse("kb:article", args=[self.slug])

    # Workflow and translation rules: the admin, the API and the importer all call these, through save_article.

    @staticmethod
    def may_publish(user):
        """Whether `user` may publish and archive; None stands for the system (imports, demo content)."""
        return user is None or user.has_perm("kb.publish_article")

    @classmethod
    def allowed_statuses(cls, current, *, can_publish):
        """The statuses an article now in `current` (None: not saved yet) may be given."""
        if can_publish:
            return tuple(cls.Status.values)
        return cls.EDITOR_STATUSES if current in (None, *cls.EDITOR_STATUSES) else (current,)

    @classmethod
    def schedule_locked(cls, current, *, can_publish):
        """Whether the publishing time of an article now in `current` is a publisher's to change."""
        return not can_publish and current not in (None, *cls.EDITOR_STATUSES)

    def check_publishing(self, *, can_publish):
        """Raise ValidationError if this unsaved change alters what the public sees without the right to publish.

        Compared with the stored row: without publish permission a new article, or one in draft or in review, may
        only be given draft or in review; a published or archived one keeps its status and its publishing time.
        """
        if can_publish:
            return
        stored = Article.objects.filter(pk=self.pk).values("status", "publish_at").first() if self.pk else None
        current = stored["status"] if stored else None
        errors = {}
        if self.status not in self.allowed_statuses(current, can_publish=False):
            errors["status"] = ValidationError(self.STATUS_LOCKED, code="publish_permission")
        if self.schedule_locked(current, can_publish=False) and self.publish_at != stored["publish_at"]:
            errors["publish_at"] = ValidationError(self.SCHEDULE_LOCKED, code="publish_permission")
        if errors:
            raise ValidationError(errors)

    def clean(self):
        """A translation points at an original in another language; an article with translations stays original."""
        if self.source_id is None:
            return
        source = self.source
        if self.pk and source.pk == self.pk:
            message = _("An article cannot be a translation of itself.")
        elif source.source_id is not None:
            message = _("Choose the original article, not another translation of it.")
        elif source.language == self.language:
            message = _("A translation must be in another language than its source.")
        elif self.pk and self.translations.exists():
            message = _("This article has translations of its own, so it must stay an original.")
        else:
            return
        raise ValidationError({"source": ValidationError(message, code="translation")})

    def is_visible(self, now=None):
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= (now or timezone.now())
        )

    @property
    def is_outdated(self):
        if self.source_id is None:
            return False
        return self.source_synced_at is None or self.source.content_changed_at > self.source_synced_at

    @property
    def helpful_ratio(self):
        total = self.helpful_yes + self.helpful_no
        return None if total == 0 else self.helpful_yes / total

    @property
    def original(self):
        return self.source if self.source_id else self


class ArticleRevision(models.Model):
    article = models.ForeignKey(Article, models.CASCADE, related_name="revisions", verbose_name=_("article"))
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Article.Status.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("author")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_revision_unique_number")]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self):
        return f"{self.article} #{self.number}"


class ArticleFeedback(models.Model):
    """One "was this helpful?" vote per visitor per article; a second vote replaces the first."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="feedback", verbose_name=_("article"))
    visitor = models.CharField(_("visitor"), max_length=64, help_text=_("A keyed hash; no personal data."))
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("what was missing"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["article", "visitor"], name="kb_feedback_one_per_visitor")]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")

    def __str__(self):
        return f"{self.article}: {'+' if self.helpful else '-'}"


class AnnouncementQuerySet(models.QuerySet):
    def active(self, now=None):
        """Published, due, and not expired."""
        now = now or timezone.now()
        return self.filter(status=Announcement.Status.PUBLISHED, publish_at__lte=now).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )

    def published(self, now=None):
        """Published and due, expired ones included (they stay readable in the archive)."""
        return self.filter(status=Announcement.Status.PUBLISHED, publish_at__lte=now or timezone.now())


class Announcement(models.Model):
    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")
        NEW_LISTING = "new_listing", _("New listing")
        DELISTING = "delisting", _("Delisting")
        PROMOTION = "promotion", _("Promotion")
        SECURITY = "security", _("Security notice")
        GENERAL = "general", _("General")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES, default=settings.LANGUAGE_CODE)
    slug = models.SlugField(_("slug"), max_length=200, help_text=_("Shared by an announcement and its translations."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(_("publish at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    banner = models.BooleanField(_("site-wide banner"), default=False, help_text=_("Shown on every page while active."))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "-publish_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="kb_announcement_unique_language_slug"),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("publish_at")),
                name="kb_announcement_expires_after_publish",
            ),
        ]
        indexes = [models.Index(fields=["language", "status", "publish_at"], name="kb_announcement_visible")]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    PUBLISH_LOCKED = _("You may save drafts only; someone who can change announcements publishes.")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body_html, _toc = render_markdown(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        with override(self.language):
            return reverse("kb:announcement", args=[self.slug])

    @staticmethod
    def may_publish(user):
        """Whether `user` may publish announcements; None stands for the system (demo content)."""
        return user is None or user.has_perm("kb.change_announcement")

    def check_publishing(self, *, can_publish):
        """Raise ValidationError if this unsaved change publishes the announcement without the right to."""
        if can_publish or self.status != self.Status.PUBLISHED:
            return
        stored = Announcement.objects.filter(pk=self.pk).values_list("status", flat=True).first() if self.pk else None
        if stored != self.Status.PUBLISHED:
            raise ValidationError({"status": ValidationError(self.PUBLISH_LOCKED, code="publish_permission")})

    def clean(self):
        """An announcement expires after it is published."""
        if self.publish_at and self.expires_at and self.expires_at <= self.publish_at:
            raise ValidationError({"expires_at": _("The expiry must come after the publishing time.")})

    def is_active(self, now=None):
        now = now or timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at <= now
            and (self.expires_at is None or self.expires_at > now)
        )


class SynonymGroup(models.Model):
    """Words searched as one: editing a group takes effect at once, without reindexing articles."""

    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=[("", _("All languages")), *LANGUAGE_CHOICES]
    )
    terms = models.TextField(
        _("terms"), help_text=_("Equivalent words or phrases, separated by commas, = or new lines.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["language", "id"]
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self):
        return " = ".join(self.term_list())

    def term_list(self):
        import re

        return [term.strip() for term in re.split(r"[,，、=\n]+", self.terms) if term.strip()]


class BestBet(models.Model):
    """An article an editor pins to the top of the results for a query."""

    query = models.CharField(_("query"), max_length=200, help_text=_("Matched after case and spacing are folded."))
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    article = models.ForeignKey(Article, models.CASCADE, related_name="best_bets", verbose_name=_("article"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["language", "query", "position"]
        constraints = [
            models.UniqueConstraint(fields=["query", "language", "article"], name="kb_bestbet_unique"),
        ]
        verbose_name = _("best bet")
        verbose_name_plural = _("best bets")

    def __str__(self):
        return f"{self.query} → {self.article}"

    def save(self, *args, **kwargs):
        from kb.search.tokenize import normalize

        self.query = " ".join(normalize(self.query).split())
        super().save(*args, **kwargs)


class SearchTerm(models.Model):
    """The index vocabulary: each token with the number of articles containing it (for weighting and spelling)."""

    term = models.CharField(max_length=100, unique=True)
    df = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")

    def __str__(self):
        return self.term


class SearchLogQuerySet(models.QuerySet):
    def between(self, start, end):
        return self.filter(created_at__gte=start, created_at__lt=end)


class SearchLog(models.Model):
    """One search, without personal data: the scrubbed query, what it found, what was clicked."""

    query = models.CharField(_("query"), max_length=200, db_index=True)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    results = models.PositiveIntegerField(_("results"))
    corrected_query = models.CharField(_("corrected to"), max_length=200, blank=True)
    clicked_article = models.ForeignKey(
        Article, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("clicked article")
    )
    clicked_rank = models.PositiveSmallIntegerField(_("clicked rank"), null=True, blank=True)
    visit = models.CharField(_("visit"), max_length=64, blank=True, db_index=True, help_text=_("A keyed hash."))
    ticket_submitted = models.BooleanField(_("ticket submitted in the same visit"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    objects = SearchLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("search log entry")
        verbose_name_plural = _("search log")

    def __str__(self):
        return self.query
