"""The public help center in a real browser: navigation, voting (with and without JavaScript), languages, phones."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from kb.models import Article, ArticleFeedback, SearchLog
from kb.pagecache import CSRF_PLACEHOLDER
from tests.e2e.conftest import PHONE
from tests.factories import make_announcement, make_article, make_category, make_section

pytestmark = pytest.mark.e2e

TXID = "0x" + "9f3b" * 16
BODY_ZH = f"""充值前请确认网络与地址，以下步骤适用于所有币种。

## 选择正确的网络

充值网络必须与提币平台选择的网络一致，否则资产可能无法到账。

| 币种 | 网络 | 最少确认数 | 预计到账时间 | 最小充值金额 | 是否需要 MEMO | 备注说明 |
|------|------|-----------|-------------|-------------|--------------|---------|
| BTC | Bitcoin | 2 | 约 30 分钟 | 0.0005 BTC | 否 | 网络拥堵时可能延迟 |
| USDT | TRC20 | 20 | 约 3 分钟 | 1 USDT | 否 | 手续费最低的网络之一 |
| XRP | XRP Ledger | 1 | 约 1 分钟 | 20 XRP | 是 | 漏填 MEMO 需要人工找回 |

## 查看交易哈希

在提币平台的记录中找到交易哈希，例如 `{TXID}`。

```
https://explorer.example.com/tx/{TXID}?network=mainnet&show=details
```

## 仍未到账怎么办

请准备好交易哈希和截图，然后联系客服。
""" + "\n".join(f"\n补充说明第 {n} 段：请耐心等待区块确认。" for n in range(12))


@pytest.fixture
def content():
    category = make_category(slug="deposits", icon="wallet", names={"zh-hans": "充值与提现", "en": "Deposits"})
    section = make_section(category=category, slug="deposit", names={"zh-hans": "充币", "en": "Deposit"})
    article = make_article(
        section=section, slug="deposit-guide", title="如何充值数字资产", body=BODY_ZH, tags=["充值"], promoted=True
    )
    english = make_article(
        section=section,
        slug="deposit-guide",
        language="en",
        source=article,
        title="How to deposit crypto",
        body="## Pick the network\n\nText.\n\n## Find the TxID\n\nText.\n\n## Still missing\n\nText.\n",
    )
    related = make_article(section=section, slug="deposit-not-credited", title="充值未到账", tags=["充值"])
    return {"category": category, "article": article, "english": english, "related": related}


def feedback_form(page):
    return page.locator("form[data-feedback]")


def test_visitor_goes_from_home_to_an_article_and_votes_yes_without_leaving_the_page(pages, content):
    page = pages.open("/zh-hans/")
    expect(page.locator(".phishing-notice")).to_be_visible()
    expect(page.locator(".hero input[type=search]")).to_be_visible()

    page.locator(".category-card").get_by_role("link", name="充值与提现", exact=True).click()
    expect(page).to_have_url(f"{pages.base_url}/zh-hans/categories/deposits/")
    expect(page.locator(".header-search input[type=search]")).to_be_visible()
    page.get_by_role("link", name="如何充值数字资产").first.click()
    expect(page.locator("h1")).to_have_text("如何充值数字资产")
    expect(page.locator(".related")).to_contain_text("充值未到账")
    expect(page.locator(".tags")).to_contain_text("#充值")

    page.evaluate("window.stillTheSamePage = true")
    form = feedback_form(page)
    form.locator("[data-vote=yes]").click()
    expect(form.get_by_role("status")).to_have_text(form.get_attribute("data-thanks"))
    expect(form.locator("[data-vote=yes]")).to_have_attribute("aria-pressed", "true")
    expect(form.locator("[data-feedback-comment]")).to_be_hidden()
    assert page.evaluate("window.stillTheSamePage") is True

    vote = ArticleFeedback.objects.get(article=content["article"])
    assert vote.helpful is True
    assert Article.objects.get(pk=content["article"].pk).helpful_yes == 1


def test_visitor_votes_no_then_sends_what_was_missing(pages, content):
    page = pages.open("/zh-hans/articles/deposit-guide/")
    form = feedback_form(page)
    expect(form.locator("[data-feedback-comment]")).to_be_hidden()

    form.locator("[data-vote=no]").click()
    expect(form.get_by_role("status")).to_have_text(form.get_attribute("data-thanks-no"))
    expect(form.locator("textarea")).to_be_visible()
    expect(form.locator("textarea")).to_be_focused()
    assert ArticleFeedback.objects.get(article=content["article"]).helpful is False

    form.locator("textarea").fill("没有说明 XRP 的 MEMO 在哪里填写")
    form.locator("[data-feedback-send]").click()
    expect(form.get_by_role("status")).to_have_text(form.get_attribute("data-thanks-comment"))
    expect(form.locator("[data-feedback-comment]")).to_be_hidden()

    vote = ArticleFeedback.objects.get(article=content["article"])
    assert (vote.helpful, vote.comment) == (False, "没有说明 XRP 的 MEMO 在哪里填写")
    article = Article.objects.get(pk=content["article"].pk)
    assert (article.helpful_yes, article.helpful_no) == (0, 1)


def test_voting_without_javascript_posts_the_form_and_shows_the_thank_you_page(pages, content):
    page = pages.open("/en/articles/deposit-guide/", java_script_enabled=False)
    page.locator("[data-vote=yes]").click()
    expect(page).to_have_url(f"{pages.base_url}/en/articles/deposit-guide/feedback/")
    expect(page.locator("h1")).to_have_text("Thank you for your feedback")
    expect(page.locator("main")).to_contain_text("How to deposit crypto")
    assert ArticleFeedback.objects.get(article=content["english"]).helpful is True

    page = pages.open("/en/articles/deposit-guide/", java_script_enabled=False)
    page.locator("[data-vote=no]").click()
    page.get_by_label("What was missing? (optional)").fill("A screenshot of the network menu")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("h1")).to_have_text("Thank you for your feedback")
    assert ArticleFeedback.objects.filter(article=content["english"], helpful=False).get().comment == (
        "A screenshot of the network menu"
    )


def test_a_cached_article_page_still_votes_with_each_visitors_own_csrf_token(pages, content):
    first = pages.open("/zh-hans/articles/deposit-guide/")
    # Changed behind the page cache's back (no signal): a visitor who sees the old title got the cached page.
    Article.objects.filter(pk=content["article"].pk).update(title="标题已改")
    second = pages.open("/zh-hans/articles/deposit-guide/")
    expect(second.locator("h1")).to_have_text("如何充值数字资产")

    for page in (first, second):
        token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
        assert token and token != CSRF_PLACEHOLDER
        form = feedback_form(page)
        form.locator("[data-vote=yes]").click()
        expect(form.get_by_role("status")).to_have_text(form.get_attribute("data-thanks"))

    assert ArticleFeedback.objects.filter(article=content["article"], helpful=True).count() == 2


def test_language_switcher_goes_to_the_translation_and_back(pages, content):
    page = pages.open("/zh-hans/articles/deposit-guide/")
    page.locator(".lang-switch a[hreflang=en]").click()
    expect(page).to_have_url(f"{pages.base_url}/en/articles/deposit-guide/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("How to deposit crypto")

    page.locator(".lang-switch a[hreflang=zh-hans]").click()
    expect(page).to_have_url(f"{pages.base_url}/zh-hans/articles/deposit-guide/")
    expect(page.locator("h1")).to_have_text("如何充值数字资产")


def test_banner_announcement_shows_on_every_page_and_links_to_it(pages, content):
    make_announcement(slug="wallet-maintenance", title="钱包系统维护通知", kind="maintenance", banner=True)
    make_announcement(slug="quiet-one", title="不在横幅中的公告")
    page = pages.open("/zh-hans/articles/deposit-guide/")
    banner = page.locator(".banner")
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text("钱包系统维护通知")

    banner.get_by_role("link").click()
    expect(page).to_have_url(f"{pages.base_url}/zh-hans/announcements/wallet-maintenance/")
    expect(page.locator("h1")).to_have_text("钱包系统维护通知")
    expect(page.locator(".article-head .pill-maintenance")).to_be_visible()


def scrolls_sideways(page):
    return page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth")


def test_phone_pages_do_not_scroll_sideways_and_contents_and_search_work(pages, content):
    make_announcement(title="关于调整部分币种提币手续费的公告（长标题换行测试）", kind="general", banner=True)
    page = pages.open("/zh-hans/", **PHONE)
    expect(page.locator(".hero input[type=search]")).to_be_visible()
    assert not scrolls_sideways(page)

    page.goto("/zh-hans/articles/deposit-guide/")
    assert not scrolls_sideways(page)
    expect(page.locator(".toc-side")).to_be_hidden()
    table = page.locator(".prose table")
    assert table.evaluate("table => table.scrollWidth > table.clientWidth")  # the table scrolls, not the page

    contents = page.locator(".toc-inline")
    expect(contents.get_by_role("link", name="仍未到账怎么办")).to_be_hidden()
    contents.locator("summary").click()
    contents.get_by_role("link", name="仍未到账怎么办").click()
    assert page.evaluate("decodeURIComponent(location.hash)") == "#h-仍未到账怎么办"
    expect(page.locator("#h-仍未到账怎么办")).to_be_in_viewport()

    page.evaluate("window.scrollTo(0, 0)")
    search = page.locator(".header-search input[type=search]")
    expect(search).to_be_visible()
    search.fill("充值")
    search.press("Enter")
    expect(page).to_have_url(f"{pages.base_url}/zh-hans/search/?q=%E5%85%85%E5%80%BC")


def test_desktop_article_shows_the_contents_beside_the_text_and_marks_the_current_heading(pages, content):
    page = pages.open("/zh-hans/articles/deposit-guide/", viewport={"width": 1280, "height": 800})
    toc = page.locator(".toc-side")
    expect(toc).to_be_visible()
    expect(page.locator(".toc-inline")).to_be_hidden()
    prose = page.locator(".prose").bounding_box()
    assert prose["x"] + prose["width"] <= toc.bounding_box()["x"]

    toc.get_by_role("link", name="仍未到账怎么办").click()
    expect(toc.locator("a[aria-current=true]")).to_have_text("仍未到账怎么办")


def test_opening_a_search_result_reports_the_click(pages, content):
    page = pages.open("/zh-hans/")
    page.locator(".hero input[type=search]").fill("充值")
    page.locator(".hero input[type=search]").press("Enter")
    result = page.locator(".search-result a[data-article]").last
    expect(result).to_be_visible()
    article_id, rank = int(result.get_attribute("data-article")), int(result.get_attribute("data-rank"))
    result.click()
    page.wait_for_url("**/articles/**")
    # The beacon leaves as the page unloads; the browser does not always report its response, so watch the log.
    log = SearchLog.objects.get(query="充值")
    for _attempt in range(50):
        log.refresh_from_db()
        if log.clicked_article_id is not None:
            break
        page.wait_for_timeout(100)
    assert (log.clicked_article_id, log.clicked_rank) == (article_id, rank)
    assert rank > 1


def test_typing_in_the_search_box_suggests_titles_and_the_keyboard_picks_one(pages, content):
    page = pages.open("/zh-hans/")
    box = page.locator(".hero input[type=search]")
    box.press_sequentially("充", delay=50)
    page.wait_for_timeout(400)
    expect(page.locator(".hero .suggestions")).to_be_hidden()
    box.press_sequentially("值", delay=50)
    options = page.locator(".hero .suggestions [role=option]")
    expect(options.first).to_be_visible()
    assert "如何充值数字资产" in options.all_inner_texts()
    assert box.get_attribute("aria-expanded") == "true"
    titles = options.all_inner_texts()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url("**/articles/**")
    assert page.locator("h1").inner_text() == titles[0]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_missing_pages_are_a_friendly_404_in_each_language(pages, content, language):
    pages.allow("status of 404")
    page = pages.open()
    response = page.goto(f"/{language}/articles/no-such-article/")
    assert response.status == 404
    with translation.override(language):
        heading = translation.gettext("We couldn't find that page")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator(".error-page input[type=search]")).to_be_visible()
    expect(page.locator(f".error-page a[href='/{language}/']")).to_be_visible()
    other = "en" if language == "zh-hans" else "zh-hans"
    expect(page.locator(f".lang-switch a[hreflang={other}]")).to_have_attribute("href", f"/{other}/")
