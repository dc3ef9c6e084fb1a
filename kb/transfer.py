"""Help-center content in and out: JSON-lines import and export, and the shipped demo content."""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from helpdesk.i18n import language_codes, pick
from kb.actions import save_article
from kb.models import Announcement, Article, Category, Section, Tag

DEFAULT_SECTION_NAMES = {"zh-hans": "常规", "en": "General"}
REQUIRED_FIELDS = ("slug", "language", "title", "body", "category")
# Absent optional fields keep the stored value on update and take these values on create.
OPTIONAL_DEFAULTS = {"summary": "", "status": Article.Status.PUBLISHED, "promoted": False, "position": 0}
MAX_POSITION = 2**31 - 1


class LineError(ValueError):
    """A line that cannot be imported; the message says why."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # (line number, reason)

    @property
    def skipped(self):
        return len(self.errors)


# Import -------------------------------------------------------------------------------------------------------------


def parse_article_line(text):
    """Decode and check one import line; return its clean values or raise LineError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineError(_("invalid JSON (%(error)s)") % {"error": exc.msg}) from None
    if not isinstance(data, dict):
        raise LineError(_("not a JSON object"))
    clean = {name: _text(data, name, required=True) for name in REQUIRED_FIELDS}
    try:
        validate_slug(clean["slug"])
    except ValidationError:
        raise LineError(_("“%(slug)s” is not a valid slug (letters, digits, - and _)") % clean) from None
    _max_length(clean, "slug", Article)
    _max_length(clean, "title", Article)
    if clean["language"] not in language_codes():
        raise LineError(_("unknown language “%(language)s”") % clean)
    clean["section"] = _text(data, "section")
    summary = data.get("summary")
    if summary is not None and not isinstance(summary, str):
        raise LineError(_("“%(field)s” must be a string") % {"field": "summary"})
    clean["summary"] = None if summary is None else summary.strip()
    if clean["summary"] is not None:
        _max_length(clean, "summary", Article)
    clean["status"] = data.get("status")
    if clean["status"] is not None and clean["status"] not in Article.Status.values:
        raise LineError(_("unknown status “%(status)s”") % {"status": clean["status"]})
    clean["promoted"] = data.get("promoted")
    if clean["promoted"] is not None and not isinstance(clean["promoted"], bool):
        raise LineError(_("“%(field)s” must be true or false") % {"field": "promoted"})
    clean["position"] = data.get("position")
    if clean["position"] is not None and (
        type(clean["position"]) is not int or not 0 <= clean["position"] <= MAX_POSITION
    ):
        raise LineError(_("“%(field)s” must be a whole number of 0 or more") % {"field": "position"})
    clean["tags"] = _tags(data.get("tags"))
    return clean


def _text(data, name, *, required=False):
    value = data.get(name)
    if value is None:
        if required:
            raise LineError(_("missing field “%(field)s”") % {"field": name})
        return None
    if not isinstance(value, str):
        raise LineError(_("“%(field)s” must be a string") % {"field": name})
    if name != "body":
        value = value.strip()
    if not value.strip():
        if required:
            raise LineError(_("empty field “%(field)s”") % {"field": name})
        return None
    return value


def _max_length(clean, name, model):
    limit = model._meta.get_field(name).max_length
    if len(clean[name]) > limit:
        raise LineError(_("“%(field)s” is longer than %(limit)d characters") % {"field": name, "limit": limit})


def _tags(value):
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise LineError(_("“%(field)s” must be a list of strings") % {"field": "tags"})
    limit = Tag._meta.get_field("name").max_length
    names = list(dict.fromkeys(tag.strip() for tag in value if tag.strip()))
    if any(len(name) > limit for name in names):
        raise LineError(_("a tag is longer than %(limit)d characters") % {"limit": limit})
    return names


def _named(obj, name):
    folded = name.casefold()
    return any(isinstance(text, str) and text.casefold() == folded for text in obj.names.values())


def _short_hash(text):
    return hashlib.sha1(text.encode()).hexdigest()[:8]


class _Catalog:
    """Categories and their sections, read once per import and forgotten after a rolled-back line."""

    def __init__(self):
        self.reset()

    def reset(self):
        self._categories = None
        self._sections = {}

    def categories(self):
        if self._categories is None:
            self._categories = list(Category.objects.order_by("position", "id"))
        return self._categories

    def sections(self, category):
        if category.pk not in self._sections:
            self._sections[category.pk] = list(Section.objects.filter(category=category).order_by("position", "id"))
        return self._sections[category.pk]

    def category(self, pk):
        found = next((c for c in self.categories() if c.pk == pk), None)
        if found is None:  # created elsewhere since we looked
            self.reset()
            found = next(c for c in self.categories() if c.pk == pk)
        return found

    def section(self, category, pk):
        found = next((s for s in self.sections(category) if s.pk == pk), None)
        if found is None:
            self._sections.pop(category.pk)
            found = next(s for s in self.sections(category) if s.pk == pk)
        return found

    @staticmethod
    def match(rows, names, language):
        """The row named any of `names`, preferring a match in `language`; case-insensitive."""
        for name in names:
            folded = name.casefold()
            for row in rows:
                if str(row.names.get(language, "")).casefold() == folded:
                    return row
        return next((row for row in rows for name in names if _named(row, name)), None)

    @staticmethod
    def add_name(row, language, name):
        """Record a display name as the row's name in `language` when that language has none yet."""
        if name and language not in row.names and not _named(row, name):
            row.names = {**row.names, language: name}
            row.save(update_fields=["names"])

    def place(self, *, language, category_name, section_name, anchor=None):
        """The section for a line's display names; names new to an anchor's category/section are added to it."""
        category = self.match(self.categories(), [category_name], language)
        if category is None and anchor is not None:
            category = self.category(anchor.section.category_id)
            self.add_name(category, language, category_name)
        if category is None:
            category = self._create_category(language, category_name)
        names = [section_name] if section_name else list(DEFAULT_SECTION_NAMES.values())
        section = self.match(self.sections(category), names, language)
        if section is None and anchor is not None and anchor.section.category_id == category.pk:
            section = self.section(category, anchor.section_id)
            self.add_name(section, language, section_name)
        if section is None:
            section = self._create_section(category, language, section_name)
        return section

    def join(self, original, *, language, category_name, section_name):
        """The original's section for a translation; the translation's display names become its names there."""
        category = self.category(original.section.category_id)
        self.add_name(category, language, category_name)
        section = self.section(category, original.section_id)
        self.add_name(section, language, section_name)
        return section

    def _create_category(self, language, name):
        categories = self.categories()
        slug = _free_slug(slugify(name)[:90] or f"c-{_short_hash(name)}", {c.slug for c in categories})
        position = max((c.position for c in categories), default=0) + 1
        category = Category.objects.create(slug=slug, names={language: name}, position=position)
        categories.append(category)
        return category

    def _create_section(self, category, language, name):
        sections = self.sections(category)
        if name:
            names, base = {language: name}, slugify(name)[:90] or f"s-{_short_hash(name)}"
        else:
            names, base = dict(DEFAULT_SECTION_NAMES), "general"
        slug = _free_slug(base, {s.slug for s in sections})
        position = max((s.position for s in sections), default=0) + 1
        section = Section.objects.create(category=category, slug=slug, names=names, position=position)
        sections.append(section)
        return section


def _free_slug(base, taken):
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _find_original(language, article, siblings):
    """The article a line translates, or None when the line is an original.

    The original is the default-language row when there is one, else the first imported (the one without a source).
    """
    if language == settings.LANGUAGE_CODE:
        return None
    default = next((s for s in siblings if s.language == settings.LANGUAGE_CODE), None)
    if default is not None:
        return default
    if article is not None:
        return next((s for s in siblings if s.pk == article.source_id), article.source)
    return next((s for s in siblings if s.source_id is None), siblings[0] if siblings else None)


def import_article(data, *, catalog=None, note="import"):
    """Create or update one article from a parsed line; return "created", "updated" or "unchanged".

    1. Find the stored row for (slug, language) and the other languages' rows of that slug.
    2. A translation goes into its original's section; an original is placed by its display names.
    3. Save through `save_article` (which checks the article's rules) only when something, tags included, differs.
    4. An original links its translations (ones that arrived before it) and moves them into its section.
    """
    catalog = catalog or _Catalog()
    language, slug = data["language"], data["slug"]
    article = Article.objects.filter(language=language, slug=slug).first()
    siblings = list(
        Article.objects.filter(slug=slug).exclude(language=language).select_related("section").order_by("id")
    )
    original = _find_original(language, article, siblings)
    names = {"language": language, "category_name": data["category"], "section_name": data.get("section")}
    if original is not None:
        section = catalog.join(original, **names)
    else:
        section = catalog.place(anchor=siblings[0] if siblings else None, **names)

    values = {
        "title": data["title"],
        "body": data["body"],
        "section_id": section.pk,
        "source_id": original.pk if original else None,
    }
    for name, default in OPTIONAL_DEFAULTS.items():
        if data.get(name) is not None:
            values[name] = data[name]
        elif article is None:
            values[name] = default
    created = article is None
    if created:
        article = Article(language=language, slug=slug)
    changed = created or any(getattr(article, name) != value for name, value in values.items())
    tags = data.get("tags")
    if tags is not None and not created and set(article.tags.values_list("name", flat=True)) == set(tags):
        tags = None  # the same tags: nothing to write
    if changed or tags is not None:
        if not created and values["source_id"] and values["source_id"] != article.source_id:
            article.source_synced_at = timezone.now()  # linked now: imported side by side with its source
        for name, value in values.items():
            setattr(article, name, value)
        save_article(article, user=None, note=note, tags=tags)
    if original is None:
        _link_translations(article, siblings, note=note)
    if created:
        return "created"
    return "updated" if changed or tags is not None else "unchanged"


def _link_translations(original, siblings, *, note):
    now = timezone.now()
    # Translations of a sibling first: a sibling becomes a translation only once nothing translates it any more.
    for sibling in sorted(siblings, key=lambda s: s.source_id is None):
        if sibling.source_id == original.pk and sibling.section_id == original.section_id:
            continue
        if sibling.source_id != original.pk:
            sibling.source, sibling.source_synced_at = original, now
        sibling.section_id = original.section_id
        save_article(sibling, user=None, note=note)


def import_articles(lines, *, note="import"):
    """Import JSON lines (bytes or text), one transaction each; bad lines are reported and skipped."""
    result, catalog = ImportResult(), _Catalog()
    for number, line in enumerate(lines, 1):
        try:
            if isinstance(line, bytes):
                try:
                    line = line.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError:
                    raise LineError(_("not valid UTF-8")) from None
            if not line.strip():
                continue
            data = parse_article_line(line)
            try:
                with transaction.atomic():
                    state = import_article(data, catalog=catalog, note=note)
            except ValidationError as exc:  # a rule of the article (kb.models.Article.clean)
                catalog.reset()
                raise LineError(_("not saved (%(error)s)") % {"error": " ".join(exc.messages)}) from None
            except DatabaseError as exc:
                catalog.reset()
                raise LineError(_("not saved (%(error)s)") % {"error": exc}) from None
        except LineError as exc:
            result.errors.append((number, str(exc)))
        else:
            setattr(result, state, getattr(result, state) + 1)
    return result


# Export -------------------------------------------------------------------------------------------------------------


EXPORT_FIELDS = ("slug", "language", "title", "summary", "body", "status", "promoted", "position")


def articles_for_export(*, language=None, status=None):
    articles = (
        Article.objects.select_related("section__category")
        .only(*EXPORT_FIELDS, "section__slug", "section__names", "section__category__slug", "section__category__names")
        .prefetch_related("tags")
        .order_by("id")
    )
    if language:
        articles = articles.filter(language=language)
    if status:
        articles = articles.filter(status=status)
    return articles


def export_line(article):
    """One article in the import format, as a line of UTF-8 JSON."""
    section = article.section
    data = {
        "slug": article.slug,
        "language": article.language,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "category": pick(section.category.names, article.language) or section.category.slug,
        "section": pick(section.names, article.language) or section.slug,
        "tags": sorted(tag.name for tag in article.tags.all()),
        "status": article.status,
        "promoted": article.promoted,
        "position": article.position,
    }
    return json.dumps(data, ensure_ascii=False) + "\n"


def export_articles(out, articles):
    """Write articles (an iterable, e.g. `articles_for_export(...).iterator()`) to a text stream; return the count."""
    count = 0
    for article in articles:
        out.write(export_line(article))
        count += 1
    return count


# Demo content -------------------------------------------------------------------------------------------------------


class DemoError(ValueError):
    """Demo content that cannot be loaded at all."""


@dataclass
class DemoResult:
    categories: Counter = field(default_factory=Counter)
    sections: Counter = field(default_factory=Counter)
    articles: ImportResult = field(default_factory=ImportResult)
    announcements: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)  # "file line N: reason"
    missing: list = field(default_factory=list)  # files not found


def _upsert(model, lookup, values, create_values=None):
    """Like `update_or_create`, but an unchanged row is not written; return (row, "created"|"updated"|"unchanged")."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        return model.objects.create(**lookup, **values, **(create_values or {})), "created"
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row, "unchanged"
    for name in changed:
        setattr(row, name, values[name])
    row.save()
    return row, "updated"


def load_demo_content(directory, *, now=None):
    """Load categories.json, articles.jsonl and announcements.jsonl from a directory; safe to run again."""
    directory, now, result = Path(directory), now or timezone.now(), DemoResult()
    if not directory.is_dir():
        raise DemoError(_("%(path)s is not a directory") % {"path": directory})
    path = directory / "categories.json"
    if path.exists():
        _load_categories(path, result)
    else:
        result.missing.append(path.name)
    path = directory / "articles.jsonl"
    if path.exists():
        with path.open("rb") as lines:
            result.articles = import_articles(lines, note="demo content")
        result.errors += [f"{path.name} line {n}: {reason}" for n, reason in result.articles.errors]
    else:
        result.missing.append(path.name)
    path = directory / "announcements.jsonl"
    if path.exists():
        _load_announcements(path, result, now)
    else:
        result.missing.append(path.name)
    return result


@transaction.atomic
def _load_categories(path, result):
    try:
        items = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DemoError(f"{path.name}: {exc}") from None
    if not isinstance(items, list):
        raise DemoError(_("%(file)s: expected a list of categories") % {"file": path.name})
    for number, item in enumerate(items, 1):
        try:
            values = _tree_values(item)
            sections = item.get("sections") or []
            if not isinstance(sections, list):
                raise DemoError(_("“sections” must be a list"))
            category, state = _upsert(Category, {"slug": item["slug"]}, {"icon": item.get("icon") or "book", **values})
            result.categories[state] += 1
            for entry in sections:
                _row, state = _upsert(Section, {"category": category, "slug": entry["slug"]}, _tree_values(entry))
                result.sections[state] += 1
        except DemoError as exc:
            raise DemoError(
                _("%(file)s: category %(number)d: %(error)s") % {"file": path.name, "number": number, "error": exc}
            ) from None


def _tree_values(item):
    """The stored fields of a category or section entry of categories.json."""
    if not isinstance(item, dict):
        raise DemoError(_("not a JSON object"))
    try:
        validate_slug(item.get("slug") or "")
    except ValidationError:
        raise DemoError(_("missing or invalid “slug”")) from None
    names, descriptions = item.get("name"), item.get("description") or {}
    if not isinstance(names, dict) or not names or not isinstance(descriptions, dict):
        raise DemoError(_("“name” and “description” must be objects of language: text"))
    position = item.get("position", 0)
    if type(position) is not int or position < 0:
        raise DemoError(_("“position” must be a whole number of 0 or more"))
    return {"position": position, "names": names, "descriptions": descriptions}


def _load_announcements(path, result, now):
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            try:
                line = line.decode("utf-8-sig" if number == 1 else "utf-8")
                if not line.strip():
                    continue
                lookup, values, times = _announcement_values(json.loads(line), now)
                with transaction.atomic():
                    _row, state = _upsert(Announcement, lookup, values, times)
            except (UnicodeDecodeError, json.JSONDecodeError, LineError, DatabaseError) as exc:
                result.announcements["skipped"] += 1
                result.errors.append(f"{path.name} line {number}: {exc}")
            else:
                result.announcements[state] += 1


def _announcement_values(data, now):
    if not isinstance(data, dict):
        raise LineError(_("not a JSON object"))
    clean = {name: _text(data, name, required=True) for name in ("slug", "language", "title", "body")}
    try:
        validate_slug(clean["slug"])
    except ValidationError:
        raise LineError(_("“%(slug)s” is not a valid slug (letters, digits, - and _)") % clean) from None
    _max_length(clean, "title", Announcement)
    if clean["language"] not in language_codes():
        raise LineError(_("unknown language “%(language)s”") % clean)
    kind = data.get("kind", Announcement.Kind.GENERAL)
    if kind not in Announcement.Kind.values:
        raise LineError(_("unknown kind “%(kind)s”") % {"kind": kind})
    publish_days, expire_days = data.get("publish_days", 0), data.get("expire_days")
    for name, days in (("publish_days", publish_days), ("expire_days", expire_days)):
        if days is not None and (isinstance(days, bool) or not isinstance(days, int | float)):
            raise LineError(_("“%(field)s” must be a number of days") % {"field": name})
    if expire_days is not None and expire_days <= publish_days:
        raise LineError(_("“expire_days” must be after “publish_days”"))
    flags = {name: data.get(name, False) for name in ("pinned", "banner")}
    if not all(isinstance(value, bool) for value in flags.values()):
        raise LineError(_("“pinned” and “banner” must be true or false"))
    times = {
        "publish_at": now + timedelta(days=publish_days),
        "expires_at": None if expire_days is None else now + timedelta(days=expire_days),
    }
    values = {
        "kind": kind,
        "title": clean["title"],
        "body": clean["body"],
        "status": Announcement.Status.PUBLISHED,
        **flags,
    }
    return {"slug": clean["slug"], "language": clean["language"]}, values, times
