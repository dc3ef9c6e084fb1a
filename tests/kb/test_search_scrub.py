import secrets

import base58
import pytest
from mnemonic import Mnemonic

from kb.models import SearchLog
from kb.search import analytics
from tickets import secretguard


def seed_phrase(lang="english"):
    return Mnemonic(lang).generate(128)


def wif():
    return base58.b58encode_check(b"\x80" + secrets.token_bytes(32) + b"\x01").decode()


def leaks(secret, text, n=12):
    """Whether any `n` consecutive characters of `secret` (case-folded) are still in `text`."""
    secret, text = secret.casefold(), text.casefold()
    return any(secret[i : i + n] in text for i in range(len(secret) - n + 1))


def searched(client, query):
    """Search through the real results page and return what the log kept."""
    SearchLog.objects.all().delete()
    assert client.get("/en/search/", {"q": query}).status_code == 200
    return SearchLog.objects.get()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_query,secret_part,mask",
    [
        (lambda p, k: p, lambda p, k: p, "<phrase>"),
        (lambda p, k: "restore wallet " + p.upper(), lambda p, k: p, "<phrase>"),
        (lambda p, k: "私钥 " + k, lambda p, k: k, "<key>"),
        (lambda p, k: k, lambda p, k: k, "<key>"),
        (lambda p, k: "password: hunter2-Xy", lambda p, k: "hunter2-Xy", "<password>"),
        (lambda p, k: "登录密码：Qwerty!2024 忘了", lambda p, k: "Qwerty!2024", "<password>"),
        (lambda p, k: "验证码是 482913 无效", lambda p, k: "482913", "<code>"),
    ],
    ids=["phrase", "upper-case phrase", "key after 私钥", "bare WIF", "password", "密码", "验证码"],
)
def test_secrets_typed_into_search_are_neither_searched_nor_logged_nor_shown_again(
    client, make_query, secret_part, mask
):
    phrase, key = seed_phrase(), wif()
    query, secret = make_query(phrase, key), secret_part(phrase, key)
    response = client.get("/en/search/", {"q": query})
    assert response.status_code == 302 and response["Referrer-Policy"] == "no-referrer"
    location = response["Location"]
    assert location.startswith("/en/search/?removed=")
    assert set(location.split("=", 1)[1].split(",")) <= set(secretguard.KINDS)
    assert not SearchLog.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "so it was not searched or stored" in page and not leaks(secret, page, n=min(12, len(secret)))
    # Everything that logs a query masks secrets all the same (e.g. a correction the engine made).
    assert mask in analytics.scrub(query) and not leaks(secret, analytics.scrub(query), n=min(12, len(secret)))


@pytest.mark.django_db
def test_the_search_api_refuses_a_query_with_a_secret_and_logs_nothing(client):
    phrase = seed_phrase()
    for url in ("/api/v1/search/", "/api/v1/search/suggest/"):
        response = client.get(url, {"q": phrase, "lang": "en"})
        assert response.status_code == 400
        body = response.content.decode()
        assert "not searched or stored" in body and not leaks(phrase, body)
    assert not SearchLog.objects.exists()


@pytest.mark.django_db
def test_a_bare_hex_string_stays_searchable_and_is_logged_masked(client):
    assert searched(client, "ab" * 32).query == "<hash>"


@pytest.mark.django_db
def test_a_chinese_phrase_in_search_is_masked():
    phrase = "、".join(seed_phrase("chinese_simplified").split())
    assert analytics.scrub("助记词 " + phrase) == "<phrase>"
    assert analytics.scrub("助记词是什么") == "助记词是什么"


@pytest.mark.django_db
def test_a_corrected_query_is_scrubbed_like_the_query():
    phrase = seed_phrase()
    log = analytics.log_search(query="password: hunter2-Xy", language="en", results=0, corrected_query=phrase)
    assert log.query == "password: <password>" and log.corrected_query == "<phrase>"


@pytest.mark.django_db
def test_the_analytics_page_shows_masks_not_secrets(client, editor):
    phrase, key = seed_phrase(), wif()
    for query in (phrase, key, "password: hunter2-Xy"):
        analytics.log_search(query=query, language="en", results=0)
    client.force_login(editor)
    html = client.get("/admin/kb/searchlog/analytics/", {"period": "30"}).content.decode()
    assert "&lt;phrase&gt;" in html and "&lt;key&gt;" in html and "&lt;password&gt;" in html
    assert not leaks(phrase, html) and not leaks(key, html) and "hunter2" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query,stored",
    [
        ("how to deposit USDT", "how to deposit usdt"),
        ("reset password", "reset password"),
        ("my password is not working", "my password is not working"),
        ("验证码收不到", "验证码收不到"),
        ("为什么要输入资金密码", "为什么要输入资金密码"),
        ("UID 12345678 邮箱 alice@example.com 提币", "uid <number> 邮箱 <email> 提币"),
        ("txid 0x" + "ab" * 32, "txid <hash>"),
        ("ab" * 32, "<hash>"),
        ("HD-7KQ2M9XP", "hd-7kq2m9xp"),
        ("abandon ability able about", "abandon ability able about"),
    ],
)
def test_ordinary_queries_are_stored_as_before(client, query, stored):
    assert searched(client, query).query == stored
