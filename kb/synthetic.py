"""Synthetic help-center articles for benchmarks: realistic, deterministic per seed, bulk-inserted."""

import multiprocessing
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import django
from django.db import connection, transaction
from django.db.models.functions import Length
from django.utils import timezone

from helpdesk.markdown import render_markdown
from kb import pagecache
from kb.models import Article, ArticleRevision, Category, Section, Tag
from kb.search import index

COINS = ["USDT", "BTC", "ETH", "BNB", "TRX", "USDC", "SOL", "XRP", "DOGE", "TON"]
NETWORKS = ["ERC20", "TRC20", "BEP20"]
VOCABULARY = {
    "zh-hans": {
        "space": "",
        "tags": ["充值", "提现", "txid", "erc20", "trc20", "bep20", "kyc", "2fa", "合约", "强平", "资金费率", "p2p",
                 "api", "手续费", "账户安全", "到账时间"],
        "titles": [
            ("{coin} 充值未到账怎么办？", "充值", ["充值", "txid", "到账时间"]),
            ("如何通过 {network} 网络提现 {coin}", "提现", ["提现", "手续费"]),
            ("提现选错网络（{network}）后资产还能找回吗？", "提现网络", ["提现", "erc20", "trc20", "bep20"]),
            ("如何查询充值或提现的 TxID", "TxID", ["txid", "充值", "提现"]),
            ("身份认证（KYC）失败的常见原因", "身份认证", ["kyc", "账户安全"]),
            ("如何绑定或重置谷歌验证器（2FA）", "二次验证", ["2fa", "账户安全"]),
            ("{coin} 永续合约的资金费率是怎么计算的", "资金费率", ["合约", "资金费率"]),
            ("合约仓位为什么会被强平？", "合约强平", ["合约", "强平"]),
            ("P2P 交易中对方迟迟不放币怎么办", "P2P 交易", ["p2p"]),
            ("如何创建和管理 API 密钥", "API 密钥", ["api", "账户安全"]),
            ("{coin} 的提现手续费和最小提现数量", "提现手续费", ["提现", "手续费"]),
            ("{network} 充值需要多少个区块确认", "充值到账", ["充值", "到账时间"]),
            ("{coin} 提现一直显示审核中怎么办", "提现审核", ["提现", "到账时间"]),
            ("充值 {coin} 时忘记填写 MEMO 怎么办", "MEMO 充值", ["充值", "txid"]),
        ],
        "intros": [
            "本文介绍{topic}的常见原因和处理方法，大部分问题可以在几分钟内自助解决。",
            "很多用户在{topic}时遇到疑问，下面按步骤说明如何排查。",
            "遇到{topic}相关的问题时，请先阅读以下说明，再决定是否联系客服。",
        ],
        "sentences": [
            "通过 {network} 网络充值 {coin} 时，通常需要 {n} 个区块确认后才会入账。",
            "请在提现记录中复制 TxID（交易哈希），然后在对应网络的区块浏览器中查询交易状态。",
            "如果区块浏览器显示交易已成功，但账户中仍未到账，请提交工单并附上 TxID 和转账截图。",
            "ERC20、TRC20 与 BEP20 是不同的网络，地址格式可能相似，但资产不会跨网络自动到账。",
            "为保障资金安全，修改密码或安全设置后的 24 小时内，提现功能会被暂时限制。",
            "完成身份认证（KYC）后，每日提现额度会相应提高。",
            "请开启二次验证（2FA），并妥善保存谷歌验证器的备份密钥，换手机前务必先迁移。",
            "永续合约每 8 小时结算一次资金费率，费率为正时由多头向空头支付。",
            "当仓位的保证金率低于维持保证金率时，系统会按标记价格触发强制平仓。",
            "P2P 交易中，请在确认收到全额付款后再放币，不要通过平台以外的渠道沟通。",
            "创建 API 密钥时请只勾选必要的权限，并绑定 IP 白名单，切勿开启提现权限给第三方。",
            "提现手续费由网络拥堵程度决定，当前 {coin} 在 {network} 网络上的手续费约为 {fee} {coin}。",
            "客服人员不会索要您的密码、短信验证码或谷歌验证码，请谨防诈骗。",
            "审核一般在 {hours} 小时内完成，高峰期可能有所延迟，请耐心等待。",
            "部分币种需要同时填写地址和 MEMO（标签），漏填可能导致资产无法自动入账。",
            "大额提现可能触发人工风控审核，审核期间资产安全，不会产生额外费用。",
            "如果多次尝试后仍无法解决，请提交工单，我们会在 {hours} 小时内回复。",
        ],
        "headings": ["常见原因", "处理步骤", "注意事项", "如何查询", "所需材料", "到账时间", "费用说明", "风险提示",
                     "仍未解决？"],
        "steps": [
            "登录账户，进入「资产」页面",
            "选择币种 {coin}，并选择 {network} 网络",
            "复制充值地址，或扫描二维码",
            "在提现记录中找到该笔订单并复制 TxID",
            "核对地址、网络和数量后提交",
            "依次完成邮箱、短信和 2FA 验证",
            "上传证件正反面照片以及手持证件照",
            "在合约页面调整杠杆倍数和保证金模式",
            "在 API 管理页面删除不再使用的密钥",
            "保留转账凭证截图，以便客服核实",
        ],
    },
    "en": {
        "space": " ",
        "tags": ["deposit", "withdrawal", "txid", "erc20", "trc20", "bep20", "kyc", "2fa", "futures", "liquidation",
                 "funding rate", "p2p", "api", "fees", "security", "processing time"],
        "titles": [
            ("My {coin} deposit has not arrived: what should I do?", "deposits",
             ["deposit", "txid", "processing time"]),
            ("How to withdraw {coin} on the {network} network", "withdrawals", ["withdrawal", "fees"]),
            ("I withdrew on the wrong network ({network}): can I get it back?", "wrong-network withdrawals",
             ["withdrawal", "erc20", "trc20"]),
            ("How to find the TxID of a deposit or withdrawal", "TxIDs", ["txid", "deposit", "withdrawal"]),
            ("Why identity verification (KYC) fails", "identity verification", ["kyc", "security"]),
            ("How to set up or reset your authenticator (2FA)", "2FA", ["2fa", "security"]),
            ("How the funding rate of {coin} perpetual futures is calculated", "funding rates",
             ["futures", "funding rate"]),
            ("Why was my futures position liquidated?", "liquidation", ["futures", "liquidation"]),
            ("The P2P seller has not released the crypto", "P2P trading", ["p2p"]),
            ("How to create and manage API keys", "API keys", ["api", "security"]),
            ("{coin} withdrawal fees and minimum amounts", "withdrawal fees", ["withdrawal", "fees"]),
            ("How many confirmations does a {network} deposit need?", "deposit confirmations",
             ["deposit", "processing time"]),
            ("My {coin} withdrawal is still under review", "withdrawal reviews", ["withdrawal", "processing time"]),
            ("I forgot the MEMO when depositing {coin}", "MEMO deposits", ["deposit", "txid"]),
        ],
        "intros": [
            "This article explains the usual causes of problems with {topic} and how to solve most of them yourself.",
            "Many customers have questions about {topic}. Follow the steps below to check what is going on.",
            "Before contacting support about {topic}, please read the points below.",
        ],
        "sentences": [
            "A {coin} deposit on the {network} network is credited after {n} block confirmations.",
            "Copy the TxID (transaction hash) from your withdrawal history and look it up in a block explorer.",
            "If the explorer shows the transfer as successful but it has not arrived, open a ticket with the TxID.",
            "ERC20, TRC20 and BEP20 are different networks: addresses may look alike, but funds do not cross them.",
            "For your safety, withdrawals are paused for 24 hours after you change your password or 2FA settings.",
            "Completing identity verification (KYC) raises your daily withdrawal limit.",
            "Turn on two-factor authentication (2FA) and keep the backup key of your authenticator somewhere safe.",
            "The funding rate of perpetual futures is settled every 8 hours; when it is positive, longs pay shorts.",
            "When your margin ratio falls below the maintenance margin, the position is liquidated at the mark price.",
            "In a P2P trade, release the crypto only after the full payment has arrived in your account.",
            "Give an API key only the permissions it needs and bind it to an IP whitelist.",
            "Withdrawal fees follow network congestion; withdrawing {coin} on {network} currently costs about {fee}.",
            "Our staff will never ask for your password, SMS code or authenticator code.",
            "Reviews usually finish within {hours} hours, and may take longer at busy times.",
            "Some coins need both an address and a MEMO (tag); without the MEMO a deposit cannot be credited.",
            "Large withdrawals may be reviewed by our risk team; your funds stay safe and no extra fee is charged.",
            "If nothing here helps, open a ticket and we will reply within {hours} hours.",
        ],
        "headings": ["Common causes", "What to do", "Before you start", "How to check", "What you need",
                     "Processing times", "Fees", "Risk warning", "Still need help?"],
        "steps": [
            "Sign in and open the Assets page",
            "Choose {coin} and the {network} network",
            "Copy the deposit address or scan the QR code",
            "Find the order in your withdrawal history and copy the TxID",
            "Check the address, network and amount, then submit",
            "Confirm with your email, SMS and 2FA codes",
            "Upload both sides of your ID and a selfie holding it",
            "Set the leverage and margin mode on the futures page",
            "Delete API keys you no longer use",
            "Keep a screenshot of the transfer so support can check it",
        ],
    },
}  # fmt: skip
DEMO_TREE = [
    ("deposits-withdrawals", "wallet", {"zh-hans": "充值与提现", "en": "Deposits & Withdrawals"}, [
        ("deposits", {"zh-hans": "充币", "en": "Deposits"}),
        ("withdrawals", {"zh-hans": "提币", "en": "Withdrawals"}),
    ]),
    ("account-security", "shield", {"zh-hans": "账户与安全", "en": "Account & Security"}, [
        ("verification", {"zh-hans": "身份认证", "en": "Verification"}),
        ("security-settings", {"zh-hans": "安全设置", "en": "Security Settings"}),
    ]),
    ("trading", "chart", {"zh-hans": "交易与合约", "en": "Trading & Futures"}, [
        ("futures", {"zh-hans": "合约交易", "en": "Futures"}),
        ("p2p", {"zh-hans": "P2P 交易", "en": "P2P Trading"}),
        ("api", {"zh-hans": "API", "en": "API"}),
    ]),
]  # fmt: skip
GENERATED_PREFIX = "gen-"
BODY_LENGTH = (300, 1500)


def _fake_body(rng, words, fill):
    """(Markdown of BODY_LENGTH characters: an intro, then headed sections of prose or steps; the intro)."""
    target = rng.randint(*BODY_LENGTH)
    sentences, steps = words["sentences"], words["steps"]
    space = words["space"]
    intro = rng.choice(words["intros"]).format(**fill)
    parts = [intro + space + rng.choice(sentences).format(**fill)]
    length = len(parts[0])
    headings = rng.sample(words["headings"], len(words["headings"]))
    while headings:
        heading = f"## {headings.pop()}\n\n"
        if rng.random() < 0.5:
            block = heading + space.join(s.format(**fill) for s in rng.sample(sentences, rng.randint(2, 4)))
        else:
            marker = "1." if rng.random() < 0.5 else "-"
            block = heading + "\n".join(f"{marker} {s.format(**fill)}" for s in rng.sample(steps, rng.randint(3, 5)))
        if length + len(block) + 2 > BODY_LENGTH[1]:
            continue
        parts.append(block)
        length += len(block) + 2
        if length >= target:
            break
    while length < BODY_LENGTH[0]:  # every heading was used up on a long target that overshot: pad with prose
        sentence = rng.choice(sentences).format(**fill)
        parts.append(sentence)
        length += len(sentence) + 2
    return "\n\n".join(parts), intro


def _fake_article(rng, number, sections, tag_ids, now):
    """An unsaved, not yet rendered article with its tag ids, drawn from `rng` in a fixed order."""
    language = "zh-hans" if rng.random() < 0.6 else "en"
    words = VOCABULARY[language]
    fill = {
        "coin": rng.choice(COINS),
        "network": rng.choice(NETWORKS),
        "n": rng.choice([1, 6, 12, 15, 20, 64]),
        "hours": rng.choice([2, 12, 24, 48]),
        "fee": rng.choice(["0.5", "1", "0.0002", "0.001", "2"]),
    }
    template, fill["topic"], topic_tags = rng.choice(words["titles"])
    body, summary = _fake_body(rng, words, fill)
    tags = list(dict.fromkeys(rng.sample(topic_tags, min(len(topic_tags), 2)) + rng.sample(words["tags"], 4)))
    tags = tags[: rng.randint(2, 4)]
    draft = rng.random() < 0.03
    published_at = now - timedelta(seconds=rng.randint(3600, 730 * 86400))
    views = min(int(rng.paretovariate(1.2) * 30), 5_000_000)
    article = Article(
        section=rng.choice(sections),
        language=language,
        slug=f"{GENERATED_PREFIX}{number}",
        title=template.format(**fill),
        summary=summary,
        body=body,
        status=Article.Status.DRAFT if draft else Article.Status.PUBLISHED,
        publish_at=None if draft else published_at,
        promoted=rng.random() < 0.02,
        position=rng.randint(0, 50),
        view_count=0 if draft else views,
        helpful_yes=0 if draft else int(views * rng.uniform(0, 0.06)),
        helpful_no=0 if draft else int(views * rng.uniform(0, 0.02)),
        content_changed_at=published_at,
    )
    return article, [(name, tag_ids[name]) for name in tags]


def _generation_sections():
    """The sections to spread generated articles over, creating a small tree when there are none."""
    sections = list(Section.objects.order_by("id"))
    if sections:
        return sections
    with transaction.atomic():
        for position, (slug, icon, names, children) in enumerate(DEMO_TREE, 1):
            category, _created = Category.objects.get_or_create(
                slug=slug, defaults={"icon": icon, "names": names, "position": position}
            )
            for number, (section_slug, section_names) in enumerate(children, 1):
                Section.objects.get_or_create(
                    category=category, slug=section_slug, defaults={"names": section_names, "position": number}
                )
    return list(Section.objects.order_by("id"))


def _tag_ids():
    names = {name for words in VOCABULARY.values() for name in words["tags"]}
    names |= {name for words in VOCABULARY.values() for _title, _topic, tags in words["titles"] for name in tags}
    Tag.objects.bulk_create([Tag(name=name) for name in sorted(names)], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


def last_generated_number():
    """The highest n of the `gen-<n>` slugs so far (0 when none)."""
    slug = (
        Article.objects.filter(slug__regex=rf"^{GENERATED_PREFIX}[0-9]+$")
        .order_by(Length("slug").desc(), "-slug")
        .values_list("slug", flat=True)
        .first()
    )
    return int(slug.removeprefix(GENERATED_PREFIX)) if slug else 0


def _prepare(items):
    """Render and tokenize synthetic articles as `Article.save` would.

    Returns [(html, toc, title tokens, body tokens), …] and how many of the articles contain each vocabulary term.
    Runs in worker processes; the articles are unsaved, so nothing is read from the database.
    """
    columns, terms = [], Counter()
    for fields in items:
        tags = fields.pop("tags")
        article = Article(**fields)
        article.pending_tag_names = tags
        article.body_html, article.toc = render_markdown(article.body)
        index.prepare(article)
        columns.append((article.body_html, article.toc, article.search_title, article.search_body))
        terms.update(index.vocabulary_of(article))
    return columns, terms


def _prepared(batches, workers, chunk=250):
    """Yield (drafts, columns, terms) per batch (see `_prepare`); with workers > 1, prepared a batch ahead."""

    def items(drafts):
        return [
            {"title": a.title, "summary": a.summary, "body": a.body, "tags": [name for name, _id in tags]}
            for a, tags in drafts
        ]

    if workers <= 1:
        for drafts in batches:
            yield drafts, *_prepare(items(drafts))
        return

    def collect(drafts, futures):
        columns, terms = [], Counter()
        for future in futures:
            chunk_columns, chunk_terms = future.result()
            columns += chunk_columns
            terms.update(chunk_terms)
        return drafts, columns, terms

    # spawn, not fork: the parent holds a database connection and a progress-bar thread.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=django.setup) as pool:
        ahead = None
        for drafts in batches:
            fields = items(drafts)
            futures = [pool.submit(_prepare, fields[i : i + chunk]) for i in range(0, len(fields), chunk)]
            if ahead:
                yield collect(*ahead)
            ahead = (drafts, futures)
        if ahead:
            yield collect(*ahead)


def generate_articles(count, *, seed=None, batch_size=2000, workers=1, progress=None):
    """Bulk-create `count` synthetic articles with tags and a first revision each; return how many were made.

    1. Pick the sections (creating a few when there are none), the tag pool and the next free `gen-<n>` number.
    2. Draw the articles batch by batch from one seeded generator; render and tokenize them as a save would
       (in `workers` processes).
    3. Per batch, in one transaction: bulk-create the articles, their tag links and first revisions, and add their
       terms to the search vocabulary.
    4. Start a new page-cache version, since bulk writes send no signals.
    """
    rng, now = random.Random(seed), timezone.now()
    sections, tag_ids, start = _generation_sections(), _tag_ids(), last_generated_number() + 1
    batches = (
        [_fake_article(rng, start + i, sections, tag_ids, now) for i in range(first, min(first + batch_size, count))]
        for first in range(0, count, batch_size)
    )
    Through = Article.tags.through
    made = 0
    for drafts, columns, terms in _prepared(batches, workers if count > batch_size else 1):
        for (article, _tags), (html, toc, search_title, search_body) in zip(drafts, columns, strict=True):
            article.body_html, article.toc = html, toc
            article.search_title, article.search_body = search_title, search_body
        with transaction.atomic():
            articles = Article.objects.bulk_create([article for article, _tags in drafts])
            Through.objects.bulk_create(
                [Through(article_id=article.pk, tag_id=tag) for article, tags in drafts for _name, tag in tags]
            )
            ArticleRevision.objects.bulk_create(
                [
                    ArticleRevision(
                        article_id=article.pk,
                        number=1,
                        title=article.title,
                        summary=article.summary,
                        body=article.body,
                        status=article.status,
                        note="generated",
                        created_at=article.content_changed_at,
                    )
                    for article in articles
                ]
            )
            index.add_counts(terms)
        made += len(drafts)
        if progress:
            progress(len(drafts))
    if connection.vendor == "postgresql":  # fresh statistics, or the planner misjudges the new rows
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE kb_article, kb_article_tags, kb_articlerevision, kb_searchterm")
    pagecache.bump_content_version()
    return made
