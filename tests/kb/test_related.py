"""Suggestions for a ticket's subject: sentences as customers write them, on the shipped demo content."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from kb.search import engine, related

pytestmark = pytest.mark.django_db

SUBJECTS = [
    ("zh-hans", "USDT充值两个小时了还没到账", "deposit-not-credited"),
    ("en", "deposit not arrived after 2 hours", "deposit-not-credited"),
    ("en", "My withdrawal is still pending", "withdrawal-under-review"),
    ("zh-hans", "提现一直在审核中", "withdrawal-under-review"),
    ("en", "KYC rejected", "kyc-failed"),
    ("en", "my KYC was rejected twice", "kyc-failed"),
    ("zh-hans", "实名认证被拒绝了", "kyc-failed"),
    ("en", "lost my 2FA phone", "lost-2fa-authenticator"),
    ("en", "I lost my phone with Google Authenticator", "lost-2fa-authenticator"),
    ("zh-hans", "手机丢了谷歌验证器没了", "lost-2fa-authenticator"),
    ("zh-hans", "二次验证丢失无法登录", "lost-2fa-authenticator"),
]
NONSENSE = [
    ("en", "asdkjh qwpoeiru zxcmvn"),
    ("en", "urgent problem"),
    ("en", "please help me"),
    ("en", "test"),
    ("en", "the weather today is nice"),
    ("zh-hans", "啊啊啊啊"),
    ("zh-hans", "有个问题"),
    ("zh-hans", "今天天气不错"),
]


@pytest.fixture
def demo_content():
    call_command("load_demo_content", verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.fixture
def api():
    return APIClient()


def suggested(api, subject, language, mode="ticket"):
    response = api.get("/api/v1/search/suggest/", {"q": subject, "lang": language, "mode": mode})
    assert response.status_code == 200
    return [item["url"].rstrip("/").rsplit("/", 1)[1] for item in response.json()["suggestions"]]


def test_the_title_suggestions_of_the_search_box_find_nothing_for_these_subjects(demo_content, api):
    """The reason for the ticket mode: no title holds every word of a sentence."""
    for language, subject in [("zh-hans", "USDT充值两个小时了还没到账"), ("en", "deposit not arrived after 2 hours")]:
        assert suggested(api, subject, language, mode="title") == []
        assert engine.search(subject, language=language).hits[0].article.slug == "deposit-not-credited"


def test_a_subject_written_as_a_sentence_suggests_the_article_that_answers_it_first(demo_content, api):
    # One test for all (loading the demo content is the slow part): a miss names its subject.
    for language, subject, slug in SUBJECTS:
        slugs = suggested(api, subject, language)
        assert slugs[:1] == [slug], subject
        assert len(slugs) <= related.LIMIT


def test_nonsense_or_words_every_article_shares_suggest_nothing(demo_content, api):
    for language, subject in NONSENSE:
        assert suggested(api, subject, language) == [], subject


def test_suggestions_are_in_the_language_asked_for(demo_content, api):
    response = api.get("/api/v1/search/suggest/", {"q": "KYC rejected", "lang": "en", "mode": "ticket"}).json()
    assert response["suggestions"] and all("/en/" in item["url"] for item in response["suggestions"])
    response = api.get("/api/v1/search/suggest/", {"q": "实名认证被拒绝了", "lang": "zh-hans", "mode": "ticket"}).json()
    assert response["suggestions"] and all("/zh-hans/" in item["url"] for item in response["suggestions"])


def test_the_search_box_keeps_its_title_prefix_suggestions(demo_content, api):
    assert suggested(api, "withdrawal whi", "en", mode="title") == ["withdrawal-whitelist"]
    assert suggested(api, "withdrawal whi", "en", mode="title") == suggested(api, "withdrawal whi", "en", mode="")


def test_an_unknown_mode_is_a_400_naming_the_parameter(demo_content, api):
    response = api.get("/api/v1/search/suggest/", {"q": "KYC rejected", "mode": "everything"})
    assert response.status_code == 400 and "mode" in response.json()


def test_a_subject_carrying_a_secret_is_refused_unsearched(demo_content, api):
    phrase = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    response = api.get("/api/v1/search/suggest/", {"q": f"deposit lost {phrase}", "mode": "ticket"})
    assert response.status_code == 400


def test_too_short_text_suggests_nothing_without_asking_the_database(demo_content, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert related.articles("充", language="zh-hans") == [] and related.articles("ab", language="en") == []


def test_the_best_articles_for_a_ticket_use_the_description_and_fall_back_to_the_subject(demo_content):
    long_description = (
        "I changed my phone last week and the authenticator app did not come along, "
        "now every login asks for a code I cannot get."
    )
    found = related.for_ticket("2FA lost", long_description, language="en")
    assert [article.slug for article in found][:1] == ["lost-2fa-authenticator"]
    found = related.for_ticket("deposit not arrived after 2 hours", "xq zzv", language="en")
    assert found[0].slug == "deposit-not-credited"
    assert related.for_ticket("asdkjh", "qwpoeiru zxcmvn", language="en") == []


def test_a_ticket_subject_costs_no_more_queries_than_the_search_api(demo_content, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for language, subject, _slug in SUBJECTS:
        api.get("/api/v1/search/", {"q": subject, "lang": language})  # warm the corpus size and vocabulary caches
        with CaptureQueriesContext(connection) as search:
            api.get("/api/v1/search/", {"q": subject, "lang": language})
        with CaptureQueriesContext(connection) as suggest:
            suggested(api, subject, language)
        assert len(suggest) <= len(search), subject
