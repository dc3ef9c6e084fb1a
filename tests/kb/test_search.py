import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from kb import actions
from kb.models import Article, BestBet, SearchLog, SearchTerm, SynonymGroup
from kb.search import analytics, engine, index, spelling, tokenize
from tests.factories import make_article, make_category, make_section

pytestmark = pytest.mark.django_db


def slugs(results):
    return [hit.article.slug for hit in results.all_hits]


def test_chinese_is_segmented_with_the_domain_dictionary_and_english_is_stemmed():
    assert "没到账" in tokenize.index_tokens("充值没到账") and "到账" in tokenize.index_tokens("充值没到账")
    assert tokenize.index_tokens("Withdrawals are CREDITED") == ["withdraw", "credit"]
    assert tokenize.index_tokens("ＵＳＤＴ　充值") == ["usdt", "充值"]
    assert [t.token for t in tokenize.query_tokens("USDT充了") if not t.stop] == ["usdt", "充"]


def test_saving_publishing_and_unpublishing_update_search_at_once():
    article = make_article(slug="kyc-help", title="实名认证失败怎么办", status=Article.Status.DRAFT)
    assert "kyc-help" not in slugs(engine.search("实名认证", language="zh-hans"))
    actions.change_status(Article.objects.filter(pk=article.pk), status=Article.Status.PUBLISHED)
    assert "kyc-help" in slugs(engine.search("实名认证", language="zh-hans"))
    article.refresh_from_db()
    article.title = "身份资料审核"
    actions.save_article(article)
    assert "kyc-help" not in slugs(engine.search("实名认证失败", language="zh-hans"))
    assert "kyc-help" in slugs(engine.search("身份资料", language="zh-hans"))
    actions.change_status(Article.objects.filter(pk=article.pk), status=Article.Status.ARCHIVED)
    assert "kyc-help" not in slugs(engine.search("身份资料", language="zh-hans"))


def test_scheduled_articles_are_found_only_once_due():
    make_article(slug="later", title="新币上线规则", publish_at=timezone.now() + timedelta(hours=1))
    assert engine.search("新币上线", language="zh-hans").count == 0


def test_tags_are_searchable():
    make_article(slug="tagged", title="一篇文章", body="正文", tags=["资金费率"])
    assert "tagged" in slugs(engine.search("资金费率", language="zh-hans"))


def test_synonym_edits_take_effect_without_reindexing(django_capture_on_commit_callbacks):
    make_article(slug="fiat-in", title="法币入金说明", body="如何入金")
    assert engine.search("存钱", language="zh-hans").count == 0
    with django_capture_on_commit_callbacks(execute=True):
        SynonymGroup.objects.create(terms="入金, 存钱")
    assert slugs(engine.search("存钱", language="zh-hans")) == ["fiat-in"]


def test_cross_language_synonyms_find_chinese_articles_for_english_words():
    make_article(slug="deposit-zh", title="充值未到账", body="充值说明")
    assert "deposit-zh" in slugs(engine.search("deposit", language="zh-hans"))


def test_misspelled_english_words_are_corrected_against_the_vocabulary():
    make_article(slug="withdraw-en", language="en", title="Withdrawal pending review", body="Withdrawals take time.")
    results = engine.search("withdrawel pending", language="en")
    assert results.corrected_query == "withdrawal pending"
    assert slugs(results)[0] == "withdraw-en"
    assert engine.search("withdrawal pending", language="en").corrected_query == ""


def test_transposed_letters_are_corrected():
    make_article(slug="airdrop", language="en", title="Airdrop not received", body="Airdrops are credited later.")
    results = engine.search("airdorp", language="en")
    assert results.corrected_query == "airdrop" and slugs(results) == ["airdrop"]


def test_spelling_choice_prefers_fewest_edits():
    candidates = [("deposit", 0.4, 10), ("depositor", 0.45, 1)]
    assert spelling.choose("deposite", candidates) == "deposit"
    assert spelling.choose("zzzzzzzz", candidates) is None
    assert spelling.edit_distance("airdorp", "airdrop") == 1


def test_title_matches_rank_above_body_matches_and_phrases_above_scattered_words():
    section = make_section()
    body_only = make_article(section=section, slug="body", title="账户说明", body="这里提到强制平仓")
    scattered = make_article(section=section, slug="scattered", title="平仓 与 其他 强制 规则", body="x")
    phrase = make_article(section=section, slug="phrase", title="强制平仓规则", body="x")
    order = slugs(engine.search("强制 平仓", language="zh-hans"))
    assert order.index(phrase.slug) < order.index(scattered.slug) < order.index(body_only.slug)


def test_promoted_articles_get_a_boost_and_helpfulness_breaks_ties():
    section = make_section()
    plain = make_article(section=section, slug="plain", title="提币手续费", body="同样的正文")
    promoted = make_article(section=section, slug="promoted", title="提币手续费", body="同样的正文", promoted=True)
    assert slugs(engine.search("提币手续费", language="zh-hans"))[:2] == [promoted.slug, plain.slug]
    helpful = make_article(section=section, slug="helpful", title="充值手续费", body="正文")
    Article.objects.filter(pk=helpful.pk).update(helpful_yes=9)
    make_article(section=section, slug="unhelpful", title="充值手续费", body="正文")
    assert slugs(engine.search("充值手续费", language="zh-hans"))[0] == "helpful"


def test_best_bets_pin_an_article_to_the_top_for_a_query():
    section = make_section()
    make_article(section=section, slug="obvious", title="资金费率是什么", body="资金费率")
    pinned = make_article(section=section, slug="pinned", title="合约费用总览", body="各种费用")
    BestBet.objects.create(query="  资金费率 ", language="zh-hans", article=pinned)
    results = engine.search("资金费率", language="zh-hans")
    assert slugs(results)[:2] == ["pinned", "obvious"] and results.hits[0].best_bet


def test_visitor_language_first_then_other_language_labelled(client):
    section = make_section()
    make_article(section=section, slug="p2p", title="P2P 交易纠纷", body="P2P")
    make_article(section=section, slug="p2p-en", language="en", title="P2P disputes", body="P2P")
    results = engine.search("p2p", language="zh-hans")
    assert [h.article.language for h in results.hits] == ["zh-hans"]
    assert [h.article.language for h in results.other_hits] == ["en"]
    html = client.get("/zh-hans/search/?q=p2p").content.decode()
    assert html.index("交易纠纷") < html.index("disputes") and 'lang="en"' in html


def test_category_filter_limits_results(client):
    first, second = make_category(slug="one"), make_category(slug="two")
    make_article(section=make_section(category=first), slug="a1", title="冻结账户")
    make_article(section=make_section(category=second), slug="a2", title="冻结资产")
    html = client.get("/zh-hans/search/?q=冻结&category=two").content.decode()
    assert "/articles/a2/" in html and "/articles/a1/" not in html


def test_snippets_are_built_from_escaped_text_with_marks():
    make_article(slug="xss", title="注意安全", body="不要运行 `<script>alert(1)</script>` 这类代码，也不要泄露助记词。")
    hit = engine.search("助记词", language="zh-hans").hits[0]
    assert "<script" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<mark>助记词</mark>" in hit.snippet


def test_an_exact_title_goes_straight_to_the_article(client):
    article = make_article(slug="exact", title="如何修改绑定手机")
    make_article(slug="near", title="如何修改绑定邮箱")
    response = client.get("/zh-hans/search/?q=如何修改绑定手机？")
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    assert SearchLog.objects.get().clicked_article == article


@pytest.mark.parametrize(
    "query",
    ["", "   ", "\x00\x01\x7f", "x" * 10_000, "充" * 5000, "& | ! ( ) : *", "'\"\\", "a:* & !b", "' OR 1=1 --",
     "NEAR(a b)", '"unbalanced', "(((", "*", "-", "<b>bold</b>"],
)  # fmt: skip
def test_bad_queries_give_a_sensible_200_never_a_500(client, query):
    make_article(title="普通文章")
    page = client.get("/zh-hans/search/", {"q": query})
    api = client.get("/api/v1/search/", {"q": query, "lang": "zh-hans"})
    suggest = client.get("/api/v1/search/suggest/", {"q": query, "lang": "zh-hans"})
    assert page.status_code == api.status_code == suggest.status_code == 200
    assert isinstance(api.json()["results"], list)


def test_search_api_returns_results_best_first_with_snippets(client):
    make_article(slug="kyc", title="实名认证失败的常见原因", body="证件照片模糊会导致认证失败")
    make_article(slug="other", title="其他问题", body="偶尔提到认证")
    data = client.get("/api/v1/search/", {"q": "认证失败", "lang": "zh-hans"}).json()
    assert set(data) == {"query", "corrected_query", "count", "results"}
    assert data["count"] == 2 and data["results"][0]["slug"] == "kyc"
    first = data["results"][0]
    assert first["url"].endswith("/zh-hans/articles/kyc/") and "<mark>" in first["snippet"]
    assert first["score"] > data["results"][1]["score"]


def test_search_api_rejects_an_unknown_language_and_category(client):
    assert client.get("/api/v1/search/", {"q": "x", "lang": "fr"}).status_code == 400
    assert client.get("/api/v1/search/", {"q": "x", "category": "nope"}).status_code == 400


def test_suggestions_start_after_two_chinese_characters_or_three_letters(client):
    make_article(slug="s1", title="提币地址白名单")
    make_article(slug="s2", language="en", title="Withdrawal whitelist")
    assert client.get("/api/v1/search/suggest/", {"q": "提", "lang": "zh-hans"}).json()["suggestions"] == []
    zh = client.get("/api/v1/search/suggest/", {"q": "提币", "lang": "zh-hans"}).json()["suggestions"]
    assert [s["title"] for s in zh] == ["提币地址白名单"]
    assert client.get("/api/v1/search/suggest/", {"q": "wi", "lang": "en"}).json()["suggestions"] == []
    en = client.get("/api/v1/search/suggest/", {"q": "whit", "lang": "en"}).json()["suggestions"]
    assert [s["title"] for s in en] == ["Withdrawal whitelist"]


def test_search_is_rate_limited_per_client(client):
    for _ in range(60):
        client.get("/zh-hans/search/", {"q": "x"})
    response = client.get("/zh-hans/search/", {"q": "x"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    for _ in range(60):
        client.get("/api/v1/search/", {"q": "x"})
    api = client.get("/api/v1/search/", {"q": "x"})
    assert api.status_code == 429 and int(api["Retry-After"]) > 0


def test_searches_are_logged_without_personal_data(client):
    client.get("/zh-hans/search/", {"q": "UID 12345678 邮箱 alice@example.com 提币"})
    log = SearchLog.objects.get()
    assert "12345678" not in log.query and "alice" not in log.query
    assert "<number>" in log.query and "<email>" in log.query and "提币" in log.query
    assert log.language == "zh-hans" and log.visit and len(log.visit) == 64


def test_a_seed_phrase_pasted_into_search_is_not_stored():
    phrase = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    assert analytics.scrub(phrase) == "<phrase>"


def test_clicks_are_recorded_only_for_the_same_visit(client):
    article = make_article(title="提币审核")
    client.get("/zh-hans/search/", {"q": "提币"})
    log = SearchLog.objects.get()
    data = {"log": log.pk, "article": article.pk, "rank": 1}
    stranger = client.__class__()
    assert stranger.post("/zh-hans/search/click/", data).status_code == 404
    assert client.post("/zh-hans/search/click/", data).status_code == 204
    assert client.post("/zh-hans/search/click/", {"log": "x"}).status_code == 400
    log.refresh_from_db()
    assert log.clicked_article == article and log.clicked_rank == 1


@pytest.mark.parametrize("name", ["log", "article", "rank"])
@pytest.mark.parametrize("value", [str(2**63), "99999999999999999999", "-1", "0", "1e309", "abc", "", "1\x00"])
def test_a_click_with_a_number_out_of_range_is_a_400_naming_the_field(client, name, value):
    article = make_article(title="提币审核")
    client.get("/zh-hans/search/", {"q": "提币"})
    log = SearchLog.objects.get()
    data = {"log": log.pk, "article": article.pk, "rank": 1, name: value}

    response = client.post("/zh-hans/search/click/", data)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]
    log.refresh_from_db()
    assert (log.clicked_article, log.clicked_rank) == (None, None)


def test_a_click_on_an_article_that_is_not_published_is_a_400(client):
    draft = make_article(title="提币审核", status=Article.Status.DRAFT)
    make_article(title="提币说明")
    client.get("/zh-hans/search/", {"q": "提币"})
    log = SearchLog.objects.get()
    for article_id in (draft.pk, draft.pk + 1000):
        response = client.post("/zh-hans/search/click/", {"log": log.pk, "article": article_id, "rank": 1})
        assert response.status_code == 400
        assert response.json()["errors"]["article"] == ["没有使用此 ID 的已发布文章。"]  # the page's language
    assert SearchLog.objects.get().clicked_article is None


def test_clicks_are_rate_limited_per_address_with_retry_after(client):
    for _n in range(120):
        assert client.post("/en/search/click/", {}).status_code == 400
    limited = client.post("/en/search/click/", {})
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert limited.json()["detail"]
    other = client.post("/en/search/click/", {}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 400


def test_a_ticket_in_the_same_visit_marks_its_searches():
    SearchLog.objects.create(query="提币", language="zh-hans", results=0, visit="v1")
    SearchLog.objects.create(query="提币", language="zh-hans", results=0, visit="v2")
    assert analytics.record_ticket(visit="v1") == 1
    assert list(SearchLog.objects.filter(ticket_submitted=True).values_list("visit", flat=True)) == ["v1"]


def test_analytics_report_groups_top_zero_low_click_and_ticket_queries():
    now = timezone.now()
    article = make_article()
    for _ in range(3):
        SearchLog.objects.create(query="提币", language="zh-hans", results=4)
    SearchLog.objects.create(query="提币", language="zh-hans", results=4, clicked_article=article)
    SearchLog.objects.create(query="火星币", language="zh-hans", results=0, ticket_submitted=True)
    SearchLog.objects.create(query="old", language="en", results=0, created_at=now - timedelta(days=40))
    data = analytics.report(now - timedelta(days=7), now + timedelta(minutes=1))
    assert data["total"] == 5
    assert [(r["query"], r["searches"]) for r in data["top"]] == [("提币", 4), ("火星币", 1)]
    assert [r["query"] for r in data["zero"]] == ["火星币"]
    assert [(r["query"], r["click_rate"]) for r in data["low_click"]] == [("提币", 0.25)]
    assert [r["query"] for r in data["tickets"]] == ["火星币"]


def test_rebuild_recomputes_tokens_and_vocabulary():
    article = make_article(title="账户冻结", body="Frozen accounts")
    Article.objects.filter(pk=article.pk).update(search_title="", search_body="")
    SearchTerm.objects.all().delete()
    assert engine.search("冻结", language="zh-hans").count == 0
    call_command("rebuild_search_index", "--quiet", stdout=io.StringIO())
    assert engine.search("冻结", language="zh-hans").count == 1
    assert SearchTerm.objects.get(term="frozen").df == 1


def test_vocabulary_frequencies_follow_edits():
    article = make_article(title="Frozen", body="ice")
    assert SearchTerm.objects.get(term="ice").df == 1
    article.body = "snow"
    actions.save_article(article)
    assert SearchTerm.objects.get(term="ice").df == 0 and SearchTerm.objects.get(term="snow").df == 1
    assert index.vocabulary_of(article) >= {"snow", "frozen"}


@pytest.mark.parametrize("rows", [6, 20])
def test_search_page_and_api_run_a_constant_number_of_queries(client, django_assert_num_queries, rows):
    section = make_section()
    for n in range(rows):
        make_article(section=section, slug=f"fee-{n}", title=f"提币手续费 {n}", body="手续费说明")
        make_article(section=section, slug=f"fee-{n}", language="en", title=f"Withdrawal fee {n}", body="fee")
    client.get("/api/v1/search/", {"q": "warm up", "lang": "zh-hans"})  # per-process tables: synonyms, best bets
    # One query each: vocabulary counts, the candidates in each language (PostgreSQL: one round trip per probe, see
    # kb/search/backends.py), what ranking reads, the articles shown, the search log; the page adds its chrome.
    with django_assert_num_queries(11):
        assert client.get("/zh-hans/search/", {"q": "提币手续费"}).status_code == 200
    with django_assert_num_queries(6):
        assert client.get("/api/v1/search/", {"q": "提币手续费", "lang": "zh-hans"}).status_code == 200


def test_imported_and_generated_articles_are_searchable_by_their_tags(tmp_path):
    make_section()
    line = {"slug": "imported", "language": "zh-hans", "title": "导入的文章", "body": "正文", "category": "分类",
            "tags": ["资金费率"]}  # fmt: skip
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps(line, ensure_ascii=False), encoding="utf-8")
    call_command("import_articles", str(source), "--quiet", stdout=io.StringIO(), stderr=io.StringIO())
    assert "imported" in slugs(engine.search("资金费率", language="zh-hans"))
    call_command("generate_demo_data", "--articles", "3", "--seed", "1", stdout=io.StringIO(), stderr=io.StringIO())
    generated = Article.objects.filter(slug__startswith="gen-").prefetch_related("tags")
    for article in generated:
        assert all(tokenize.index_text(tag.name) in article.search_body for tag in article.tags.all())
    out = io.StringIO()
    call_command("rebuild_search_index", "--quiet", stdout=out)
    assert "(0 changed)" in out.getvalue()  # generated, imported and saved articles are indexed alike
