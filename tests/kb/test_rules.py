"""Each help-center rule, run through every interface that can break it: the admin form, the API and the importer."""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kb import transfer
from kb.models import Announcement, Article, Tag
from tests.factories import make_article, make_section
from tests.kb.test_admin import announcement_data, article_data

pytestmark = pytest.mark.django_db

INTERFACES = ["admin", "api"]


@dataclass
class Outcome:
    saved: bool
    status_code: int
    errors: dict  # field → messages


def _admin_client(user):
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _api_client(user):
    client = APIClient(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _admin_time(value):
    local = timezone.localtime(value)
    return {"publish_at_0": local.strftime("%Y-%m-%d"), "publish_at_1": local.strftime("%H:%M:%S")}


def change_article(interface, user, article, **changes):
    """Submit a change to a stored article as `user` through the admin change form or an API PATCH."""
    if interface == "admin":
        form_changes = {name: value for name, value in changes.items() if name != "publish_at"}
        if "publish_at" in changes:
            form_changes.update(_admin_time(changes["publish_at"]))
        if "source" in changes:
            form_changes["source"] = changes["source"].pk
        response = _admin_client(user).post(
            reverse("admin:kb_article_change", args=[article.pk]), article_data(article, **form_changes)
        )
        if response.status_code == 302:
            return Outcome(True, 302, {})
        return Outcome(False, response.status_code, dict(response.context["adminform"].form.errors))
    payload = dict(changes)
    if "publish_at" in payload:
        payload["publish_at"] = payload["publish_at"].isoformat()
    if "source" in payload:
        payload["source"] = payload["source"].pk
    response = _api_client(user).patch(f"/api/v1/articles/{article.pk}/", payload, format="json")
    return Outcome(response.status_code == 200, response.status_code, response.json())


def new_article(interface, user, section, **fields):
    """Create an article as `user` through the admin add form or an API POST."""
    values = {"title": "Listing rules", "slug": "listing-rules", "body": "Text.", "language": "en", **fields}
    if interface == "admin":
        data = {
            "summary": "",
            "section": section.pk,
            "source": values.pop("source").pk if "source" in values else "",
            "tags": [Tag.objects.get_or_create(name=name)[0].pk for name in values.pop("tags", [])],
            "position": 0,
            "status": "draft",
            "publish_at_0": "",
            "publish_at_1": "",
            "revision_note": "",
            **values,
        }
        response = _admin_client(user).post(reverse("admin:kb_article_add"), data)
        if response.status_code == 302:
            return Outcome(True, 302, {})
        return Outcome(False, response.status_code, dict(response.context["adminform"].form.errors))
    if "source" in values:
        values["source"] = values["source"].pk
    response = _api_client(user).post("/api/v1/articles/", {"section_id": section.pk, **values}, format="json")
    return Outcome(response.status_code == 201, response.status_code, response.json())


def found_by_search(word, language):
    """Slugs the public search API returns for `word`."""
    response = APIClient().get("/api/v1/search/", {"q": word, "lang": language})
    assert response.status_code == 200
    return [hit["slug"] for hit in response.json()["results"]]


def import_lines(tmp_path, *records):
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    with path.open("rb") as lines:
        return transfer.import_articles(lines)


def record(**fields):
    return {
        "slug": "deposit-missing",
        "language": "en",
        "title": "Deposit missing",
        "body": "Text.",
        "category": "Funds",
        **fields,
    }


def refused(outcome, field, status_code):
    """The interface refused the change with a message about `field` (form error, or the API's status and text)."""
    assert not outcome.saved
    assert outcome.status_code == status_code
    if status_code == 403:
        return outcome.errors["detail"]
    return " ".join(outcome.errors[field])


# Publishing: only a publisher publishes, archives, or changes what a published article shows and when


@pytest.mark.parametrize("interface", INTERFACES)
def test_editor_cannot_take_a_published_article_offline(interface, editor):
    article = make_article()
    status_code = 200 if interface == "admin" else 403  # the admin answers with the form and its errors

    for status in ("draft", "review", "archived"):
        message = refused(change_article(interface, editor, article, status=status), "status", status_code)
        assert "publisher" in message

    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.is_visible()
    assert article.revisions.count() == 1


def test_editor_cannot_take_a_published_article_offline_by_rescheduling_it_through_the_api(editor):
    article = make_article()
    published_at = article.publish_at
    later = timezone.now() + timedelta(days=30)

    message = refused(change_article("api", editor, article, publish_at=later), "publish_at", 403)

    assert "publisher" in message
    article.refresh_from_db()
    assert article.publish_at == published_at
    assert article.is_visible()


@pytest.mark.parametrize("interface", INTERFACES)
def test_editor_still_fixes_the_text_of_a_published_article(interface, editor):
    article = make_article()
    published_at = article.publish_at

    assert change_article(interface, editor, article, body="修正后的正文").saved

    article.refresh_from_db()
    assert (article.body, article.status, article.publish_at) == ("修正后的正文", "published", published_at)
    assert article.revisions.first().author == editor


@pytest.mark.parametrize("interface", INTERFACES)
def test_editor_cannot_publish_or_archive_a_reviewed_article(interface, editor):
    article = make_article(status=Article.Status.REVIEW)
    status_code = 200 if interface == "admin" else 403

    for status in ("published", "archived"):
        message = refused(change_article(interface, editor, article, status=status), "status", status_code)
        assert "publisher" in message

    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW
    assert change_article(interface, editor, article, status="draft").saved


@pytest.mark.parametrize("interface", INTERFACES)
def test_editor_cannot_create_a_published_article(interface, editor):
    outcome = new_article(interface, editor, make_section(), status="published")
    assert "publisher" in refused(outcome, "status", 200 if interface == "admin" else 403)
    assert not Article.objects.exists()


@pytest.mark.parametrize("interface", INTERFACES)
def test_publisher_publishes_and_takes_articles_offline(interface, publisher):
    article = make_article(status=Article.Status.REVIEW)

    assert change_article(interface, publisher, article, status="published").saved
    article.refresh_from_db()
    assert article.is_visible()

    assert change_article(interface, publisher, article, status="archived").saved
    article.refresh_from_db()
    assert article.status == Article.Status.ARCHIVED
    assert [r.status for r in article.revisions.all()] == ["archived", "published", "review"]


def test_the_importer_publishes_as_the_system(tmp_path):
    result = import_lines(tmp_path, record(status="published"))
    assert (result.created, result.errors) == (1, [])
    assert Article.objects.get().is_visible()


# Translations: an original in another language; an article with translations stays an original


@pytest.fixture
def family():
    """An original in Chinese with its English translation, and a Chinese draft that translates nothing."""
    original = make_article(slug="deposit")
    translation = make_article(slug="deposit", language="en", source=original, section=original.section)
    other = make_article(slug="withdraw", status=Article.Status.DRAFT)
    return {"original": original, "translation": translation, "other": other}


@pytest.mark.parametrize("interface", INTERFACES)
def test_a_translation_of_a_translation_is_refused(interface, editor, family):
    other = family["other"]

    outcome = change_article(interface, editor, other, source=family["translation"])

    assert "original" in refused(outcome, "source", 200 if interface == "admin" else 400)
    other.refresh_from_db()
    assert other.source is None


@pytest.mark.parametrize("interface", INTERFACES)
def test_a_new_translation_of_a_translation_is_refused(interface, editor, family):
    outcome = new_article(interface, editor, make_section(), language="zh-hans", source=family["translation"])

    assert "original" in refused(outcome, "source", 200 if interface == "admin" else 400)
    assert not Article.objects.filter(slug="listing-rules").exists()


def test_the_importer_refuses_to_make_a_translation_of_a_translation(tmp_path):
    english = make_article(slug="guide-en", language="en")
    make_article(slug="guide", language="zh-hans", source=english)  # a Chinese translation of an English original

    result = import_lines(tmp_path, record(slug="guide"))  # its English line would translate the translation

    assert result.created == 0
    ((number, reason),) = result.errors
    assert number == 1
    assert "Choose the original article, not another translation of it." in reason
    assert not Article.objects.filter(slug="guide", language="en").exists()


@pytest.mark.parametrize("interface", INTERFACES)
def test_a_translation_in_the_language_of_its_source_is_refused(interface, editor, family):
    other = family["other"]

    outcome = change_article(interface, editor, other, source=family["original"])

    assert "another language" in refused(outcome, "source", 200 if interface == "admin" else 400)
    other.refresh_from_db()
    assert other.source is None


@pytest.mark.parametrize("interface", INTERFACES)
def test_an_article_cannot_translate_itself(interface, editor, family):
    other = family["other"]
    outcome = change_article(interface, editor, other, source=other, language="en")
    assert "itself" in refused(outcome, "source", 200 if interface == "admin" else 400)


@pytest.mark.parametrize("interface", INTERFACES)
def test_an_article_with_translations_stays_an_original(interface, editor, family):
    original = family["original"]
    english = make_article(slug="withdraw", language="en", status=Article.Status.DRAFT)

    outcome = change_article(interface, editor, original, source=english)

    assert "translations of its own" in refused(outcome, "source", 200 if interface == "admin" else 400)
    original.refresh_from_db()
    assert original.source is None


@pytest.mark.parametrize("interface", INTERFACES)
def test_a_translation_in_another_language_of_an_original_is_accepted(interface, editor, family):
    english = make_article(slug="withdraw", language="en", status=Article.Status.DRAFT)

    assert change_article(interface, editor, english, source=family["other"]).saved

    english.refresh_from_db()
    assert english.source == family["other"]


# Tags reach the search index in the same save


@pytest.mark.parametrize("interface", INTERFACES)
def test_tags_written_by_a_publisher_are_found_by_search_at_once(interface, publisher):
    outcome = new_article(interface, publisher, make_section(), status="published", tags=["quokkacoin"])

    assert outcome.saved
    assert found_by_search("quokkacoin", "en") == ["listing-rules"]
    article = Article.objects.get(slug="listing-rules")
    if interface == "admin":
        data = article_data(article, tags=[Tag.objects.get_or_create(name="wombatcoin")[0].pk])
        _admin_client(publisher).post(reverse("admin:kb_article_change", args=[article.pk]), data)
    else:
        _api_client(publisher).patch(f"/api/v1/articles/{article.pk}/", {"tags": ["wombatcoin"]}, format="json")
    assert found_by_search("wombatcoin", "en") == ["listing-rules"]
    assert found_by_search("quokkacoin", "en") == []


def test_tags_written_by_the_importer_are_found_by_search_at_once(tmp_path):
    import_lines(tmp_path, record(status="published", tags=["quokkacoin"]))
    assert found_by_search("quokkacoin", "en") == ["deposit-missing"]

    result = import_lines(tmp_path, record(status="published", tags=["wombatcoin"]))

    assert result.updated == 1
    assert found_by_search("wombatcoin", "en") == ["deposit-missing"]
    assert found_by_search("quokkacoin", "en") == []


# Announcements: only someone who may change announcements publishes; an announcement expires after it publishes


@pytest.fixture
def drafter(django_user_model):
    """Staff who may add and view announcements, but not change them."""
    user = django_user_model.objects.create_user("drafter", "d@example.com", "pw-for-tests-1", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_announcement", "view_announcement"]))
    return user


def new_announcement(interface, user, **fields):
    values = {"kind": "maintenance", "language": "zh-hans", "title": "系统维护", "slug": "upgrade", "body": "维护。"}
    values.update(fields)
    if interface == "admin":
        data = announcement_data(**{k: v for k, v in values.items() if k not in ("publish_at", "expires_at")})
        for name in ("publish_at", "expires_at"):
            if name in values:
                local = timezone.localtime(values[name])
                data[f"{name}_0"], data[f"{name}_1"] = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        response = _admin_client(user).post(reverse("admin:kb_announcement_add"), data)
        if response.status_code == 302:
            return Outcome(True, 302, {})
        return Outcome(False, response.status_code, dict(response.context["adminform"].form.errors))
    payload = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}
    response = _api_client(user).post("/api/v1/announcements/", payload, format="json")
    return Outcome(response.status_code == 201, response.status_code, response.json())


@pytest.mark.parametrize("interface", INTERFACES)
def test_only_who_may_change_announcements_publishes_them(interface, drafter, editor):
    refused_outcome = new_announcement(interface, drafter, status="published")
    assert "drafts only" in refused(refused_outcome, "status", 200 if interface == "admin" else 403)
    assert not Announcement.objects.exists()

    assert new_announcement(interface, drafter, status="draft").saved
    assert Announcement.objects.get().author == drafter
    assert new_announcement(interface, editor, slug="upgrade-2", status="published").saved
    assert Announcement.objects.get(slug="upgrade-2").is_active()


@pytest.mark.parametrize("interface", INTERFACES)
def test_an_announcement_expiring_before_it_publishes_is_refused(interface, editor):
    now = timezone.now()
    outcome = new_announcement(interface, editor, publish_at=now, expires_at=now - timedelta(hours=1))
    assert "expiry must come after" in refused(outcome, "expires_at", 200 if interface == "admin" else 400)
    assert not Announcement.objects.exists()
