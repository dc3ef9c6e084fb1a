"""A "was this helpful?" comment is customer text too: a secret in it is removed before editors can read it."""

import pytest
from mnemonic import Mnemonic

from kb.models import ArticleFeedback
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return make_article(slug="deposit-help", language="en", title="Deposit help")


def test_a_seed_phrase_in_a_vote_comment_is_stored_as_a_marker(client, article):
    phrase = Mnemonic("english").generate(128)
    response = client.post(
        f"/en/articles/{article.slug}/feedback/", {"helpful": "no", "comment": f"Support asked: {phrase}"}
    )
    assert response.status_code == 200
    assert ArticleFeedback.objects.get().comment == "Support asked: [removed: seed phrase]"


def test_a_vote_form_sent_back_with_an_error_does_not_show_the_secret_again(client, article):
    phrase = Mnemonic("english").generate(128)
    response = client.post(f"/en/articles/{article.slug}/feedback/", {"helpful": "maybe", "comment": phrase})
    html = response.content.decode()
    assert response.status_code == 400 and "[removed: seed phrase]" in html
    assert " ".join(phrase.split()[:4]) not in html and not ArticleFeedback.objects.exists()


def test_a_password_in_an_api_vote_comment_is_removed(client, article):
    response = client.post(
        f"/api/v1/articles/{article.pk}/feedback/",
        {"helpful": False, "comment": "my password is Vx93-kLmq!zz and it fails"},
        content_type="application/json",
    )
    assert response.status_code == 201 and "Vx93-kLmq!zz" not in response.content.decode()
    assert ArticleFeedback.objects.get().comment == "my password is [removed: password] and it fails"
