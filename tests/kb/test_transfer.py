import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from kb import transfer
from kb.models import Article, ArticleRevision, Category, Section, Tag
from tests.factories import make_article, make_category, make_section


def line(**fields):
    data = {"slug": "deposit-missing", "language": "zh-hans", "title": "充值未到账", "body": "## 原因\n\n网络拥堵。"}
    data["category"] = "充值与提现"
    data.update(fields)
    return json.dumps({key: value for key, value in data.items() if value is not None}, ensure_ascii=False)


def write(tmp_path, *lines, name="articles.jsonl"):
    path = tmp_path / name
    path.write_text("".join(f"{text}\n" for text in lines), encoding="utf-8")
    return path


def run_import(path):
    out, err = StringIO(), StringIO()
    call_command("import_articles", str(path), "--quiet", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_export(*args):
    out, err = StringIO(), StringIO()
    call_command("export_articles", "-", "--quiet", *args, stdout=out, stderr=err)
    return out.getvalue()


def counts():
    return [model.objects.count() for model in (Article, ArticleRevision, Category, Section, Tag)]


@pytest.mark.django_db
def test_import_creates_articles_with_their_category_section_and_tags(tmp_path):
    path = write(
        tmp_path,
        line(section="充币", tags=["充值", "txid"], summary="摘要", promoted=True, position=3),
        line(slug="kyc-levels", title="认证等级", category="身份认证", status="draft"),
    )

    out, err = run_import(path)

    assert "created 2, updated 0, unchanged 0, skipped 0" in out
    assert err == ""
    article = Article.objects.get(slug="deposit-missing", language="zh-hans")
    assert article.section.names == {"zh-hans": "充币"}
    assert article.section.category.names == {"zh-hans": "充值与提现"}
    assert sorted(article.tags.values_list("name", flat=True)) == ["txid", "充值"]
    assert (article.summary, article.promoted, article.position, article.status) == ("摘要", True, 3, "published")
    assert article.publish_at is not None
    assert '<h2 id="h-原因">原因</h2>' in article.body_html
    assert [(r.number, r.note, r.author) for r in article.revisions.all()] == [(1, "import", None)]
    assert Article.objects.get(slug="kyc-levels").status == "draft"


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(tmp_path):
    path = write(tmp_path, line(tags=["充值"]), line(slug="other", language="en", title="Other", category="Fees"))
    run_import(path)
    before, stamps = counts(), list(Article.objects.order_by("id").values_list("updated_at", flat=True))

    out, _err = run_import(path)

    assert "created 0, updated 0, unchanged 2, skipped 0" in out
    assert counts() == before
    assert list(Article.objects.order_by("id").values_list("updated_at", flat=True)) == stamps


@pytest.mark.django_db
def test_a_changed_line_updates_the_article_with_one_new_revision(tmp_path):
    run_import(write(tmp_path, line()))

    out, _err = run_import(write(tmp_path, line(title="充值一直未到账", status="archived")))

    assert "created 0, updated 1, unchanged 0" in out
    article = Article.objects.get()
    assert (article.title, article.status) == ("充值一直未到账", "archived")
    assert list(article.revisions.values_list("number", "title")) == [(2, "充值一直未到账"), (1, "充值未到账")]


@pytest.mark.django_db
def test_a_tags_only_change_counts_as_an_update_without_a_revision(tmp_path):
    run_import(write(tmp_path, line(tags=["充值"])))

    out, _err = run_import(write(tmp_path, line(tags=["充值", "usdt"])))

    assert "updated 1" in out
    article = Article.objects.get()
    assert sorted(article.tags.values_list("name", flat=True)) == ["usdt", "充值"]
    assert article.revisions.count() == 1


@pytest.mark.django_db
def test_absent_optional_fields_keep_the_stored_values_on_update(tmp_path):
    run_import(write(tmp_path, line(summary="摘要", tags=["充值"], promoted=True, position=4, status="review")))

    out, _err = run_import(write(tmp_path, line()))

    assert "unchanged 1" in out
    article = Article.objects.get()
    assert (article.summary, article.promoted, article.position, article.status) == ("摘要", True, 4, "review")
    assert list(article.tags.values_list("name", flat=True)) == ["充值"]


BAD_LINES = [
    ("{not json", "invalid JSON"),
    ("[1, 2]", "not a JSON object"),
    (line(slug="a1", title=None), "title"),
    (line(slug="a2", body="   "), "body"),
    (line(slug="a3", language="fr"), "fr"),
    (line(slug="a4", status="deleted"), "deleted"),
    (line(slug="a5", tags="充值"), "tags"),
    (line(slug="a6", promoted="yes"), "promoted"),
    (line(slug="a7", position=-1), "position"),
    (line(slug="a8", position=True), "position"),
    (line(slug="a9", title="长" * 201), "200"),
    (line(slug="not a slug!"), "not a slug!"),
    (line(slug="a10", category=7), "category"),
    (line(slug="a11", tags=["x" * 51]), "50"),
]


@pytest.mark.django_db
def test_bad_lines_are_reported_with_their_line_numbers_and_the_rest_is_imported(tmp_path):
    lines = [line(slug="good-first")]
    for bad, _reason in BAD_LINES:
        lines.append(bad)
    lines.append(line(slug="good-last", language="en", title="Good", category="Deposits"))
    path = write(tmp_path, *lines)
    with path.open("ab") as f:
        f.write(b'{"slug": "\xff\xfe"}\n')

    out, err = run_import(path)

    reported = err.splitlines()
    assert len(reported) == len(BAD_LINES) + 1
    for number, (text, (_bad, reason)) in enumerate(zip(reported, BAD_LINES, strict=False), start=2):
        assert text.startswith(f"line {number}: ")
        assert reason in text
    assert reported[-1].startswith(f"line {len(BAD_LINES) + 3}: ")
    assert f"created 2, updated 0, unchanged 0, skipped {len(BAD_LINES) + 1}" in out
    assert set(Article.objects.values_list("slug", flat=True)) == {"good-first", "good-last"}


@pytest.mark.django_db
def test_blank_lines_and_a_byte_order_mark_are_tolerated(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line().encode() + b"\n\n   \n")

    out, err = run_import(path)

    assert "created 1, updated 0, unchanged 0, skipped 0" in out
    assert err == ""


@pytest.mark.django_db
def test_a_line_that_fails_while_saving_loses_only_itself(tmp_path, monkeypatch):
    save = transfer.save_article

    def failing_save(article, **kwargs):
        if article.slug == "boom":
            raise DatabaseError("disk full")
        return save(article, **kwargs)

    monkeypatch.setattr(transfer, "save_article", failing_save)
    path = write(tmp_path, line(slug="boom", category="新分类"), line(slug="fine", category="新分类"))

    out, err = run_import(path)

    assert err.startswith("line 1: ") and "disk full" in err
    assert "created 1" in out and "skipped 1" in out
    assert list(Article.objects.values_list("slug", flat=True)) == ["fine"]
    assert Category.objects.get().names == {"zh-hans": "新分类"}


def test_an_unreadable_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_articles", str(tmp_path / "missing.jsonl"), "--quiet")


@pytest.mark.django_db
def test_a_display_name_matches_a_category_in_any_language_ignoring_case(tmp_path):
    category = make_category(names={"zh-hans": "充值与提现", "en": "Deposits & Withdrawals"})
    section = make_section(category=category, names={"zh-hans": "充币", "en": "Deposits"})

    run_import(write(tmp_path, line(category="deposits & WITHDRAWALS", section="DEPOSITS")))

    assert Article.objects.get().section == section
    assert Category.objects.count() == 1
    assert category.sections.count() == 1


@pytest.mark.django_db
def test_a_new_chinese_category_gets_a_stable_ascii_slug(tmp_path):
    run_import(write(tmp_path, line(category="充值与提现", section="充币"), line(slug="x", category="Fees & Limits")))

    slugs = set(Category.objects.values_list("slug", flat=True))
    assert slugs == {"c-" + hashlib.sha1("充值与提现".encode()).hexdigest()[:8], "fees-limits"}
    assert Section.objects.get(names={"zh-hans": "充币"}).slug == "s-" + hashlib.sha1("充币".encode()).hexdigest()[:8]


@pytest.mark.django_db
def test_a_line_without_a_section_goes_to_the_general_section_of_its_category(tmp_path):
    run_import(write(tmp_path, line(), line(slug="x", language="en", title="X", category="充值与提现")))

    section = Section.objects.get()
    assert (section.slug, section.names) == ("general", {"zh-hans": "常规", "en": "General"})
    assert Article.objects.filter(section=section).count() == 2


@pytest.mark.django_db
def test_a_translation_after_its_original_joins_the_original_and_names_its_category(tmp_path):
    english = line(language="en", title="Deposit missing", category="Deposits & Withdrawals", section="Deposits")

    run_import(write(tmp_path, line(section="充币"), english))

    original = Article.objects.get(language="zh-hans")
    translation = Article.objects.with_outdated().get(language="en")
    assert translation.source == original
    assert translation.section == original.section
    assert not translation.outdated
    assert Category.objects.get().names == {"zh-hans": "充值与提现", "en": "Deposits & Withdrawals"}
    assert Section.objects.get().names == {"zh-hans": "充币", "en": "Deposits"}


@pytest.mark.django_db
def test_an_original_after_its_translation_links_it_afterwards(tmp_path):
    english = line(language="en", title="Deposit missing", category="Deposits & Withdrawals", section="Deposits")
    run_import(write(tmp_path, english))

    out, _err = run_import(write(tmp_path, line(section="充币")))

    assert "created 1" in out
    original = Article.objects.get(language="zh-hans")
    translation = Article.objects.with_outdated().get(language="en")
    assert original.source is None
    assert translation.source == original
    assert translation.section == original.section
    assert not translation.outdated
    assert Category.objects.get().names == {"en": "Deposits & Withdrawals", "zh-hans": "充值与提现"}
    assert Section.objects.get().names == {"en": "Deposits", "zh-hans": "充币"}
    assert "unchanged 2" in run_import(write(tmp_path, english, line(section="充币")))[0]


@pytest.mark.django_db
def test_without_a_default_language_row_the_first_imported_is_the_original_until_one_arrives(tmp_path, settings):
    settings.LANGUAGES = [*settings.LANGUAGES, ("ja", "日本語")]
    english = line(language="en", title="Deposit missing", category="Deposits")
    japanese = line(language="ja", title="入金されない", category="入金")
    run_import(write(tmp_path, english, japanese))

    english_row, japanese_row = Article.objects.get(language="en"), Article.objects.get(language="ja")
    assert english_row.source is None
    assert japanese_row.source == english_row
    assert japanese_row.section == english_row.section

    run_import(write(tmp_path, line()))

    original = Article.objects.get(language="zh-hans")
    assert set(original.translations.values_list("language", flat=True)) == {"en", "ja"}
    assert set(Article.objects.values_list("section", flat=True)) == {original.section_id}
    assert Category.objects.get().names == {"en": "Deposits", "ja": "入金", "zh-hans": "充值与提现"}


@pytest.mark.django_db
def test_a_translation_with_an_unknown_category_name_does_not_create_a_category(tmp_path):
    category = make_category(names={"zh-hans": "充值与提现"})
    make_section(category=category, names={"zh-hans": "充币"})

    run_import(write(tmp_path, line(section="充币"), line(language="en", title="T", category="Money", section="In")))

    assert Category.objects.count() == 1
    category.refresh_from_db()
    assert category.names == {"zh-hans": "充值与提现", "en": "Money"}


@pytest.mark.django_db
def test_export_writes_the_import_format_ordered_by_id(tmp_path):
    section = make_section(names={"zh-hans": "充币", "en": "Deposits"})
    first = make_article(section=section, tags=["usdt", "充值"], promoted=True, position=2, summary="摘要")
    make_article(section=section, language="en", slug=first.slug, source=first, title="Deposit", status="draft")

    lines = run_export().splitlines()

    assert [json.loads(text) for text in lines] == [
        {
            "slug": first.slug,
            "language": "zh-hans",
            "title": first.title,
            "summary": "摘要",
            "body": first.body,
            "category": section.category.names["zh-hans"],
            "section": "充币",
            "tags": ["usdt", "充值"],
            "status": "published",
            "promoted": True,
            "position": 2,
        },
        {
            "slug": first.slug,
            "language": "en",
            "title": "Deposit",
            "summary": Article.objects.get(language="en").summary,
            "body": Article.objects.get(language="en").body,
            "category": section.category.names["en"],
            "section": "Deposits",
            "tags": [],
            "status": "draft",
            "promoted": False,
            "position": 0,
        },
    ]
    assert "充币" in lines[0]  # not \u escaped


@pytest.mark.django_db
def test_export_filters_by_language_and_status():
    make_article(slug="zh-live")
    make_article(slug="zh-draft", status="draft")
    make_article(slug="en-live", language="en")

    def slugs(*args):
        return [json.loads(text)["slug"] for text in run_export(*args).splitlines()]

    assert slugs() == ["zh-live", "zh-draft", "en-live"]
    assert slugs("--language", "zh-hans") == ["zh-live", "zh-draft"]
    assert slugs("--status", "published") == ["zh-live", "en-live"]
    assert slugs("--language", "en", "--status", "draft") == []


@pytest.mark.django_db
def test_export_to_a_file_is_utf8(tmp_path):
    make_article(title="提币审核")
    path = tmp_path / "out.jsonl"

    out = StringIO()
    call_command("export_articles", str(path), "--quiet", stdout=out)

    assert "提币审核" in path.read_bytes().decode("utf-8")
    assert "exported 1 articles" in out.getvalue()


@pytest.mark.django_db
def test_export_runs_a_constant_number_of_queries(django_assert_num_queries):
    for n in range(12):
        make_article(tags=[f"tag-{n}", "shared"])

    with django_assert_num_queries(3):  # count, articles with section and category, tags
        lines = run_export().splitlines()
    assert len(lines) == 12


@pytest.mark.django_db
def test_export_import_export_round_trip_gives_identical_files(tmp_path):
    deposits = make_category(names={"zh-hans": "充值与提现", "en": "Deposits & Withdrawals"})
    coins = make_section(category=deposits, names={"zh-hans": "充币", "en": "Deposits"})
    fees = make_section(category=deposits, names={"zh-hans": "费用"})
    original = make_article(section=coins, tags=["充值", "txid"], summary="摘要", promoted=True, position=5)
    make_article(section=coins, slug=original.slug, language="en", source=original, title="Missing deposit")
    make_article(section=fees, status="draft", body="- 一\n- 二\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    make_article(section=fees, language="en", status="archived", tags=["fees"])
    run_import(
        write(
            tmp_path,
            line(slug="late", language="en", title="Late original", category="Security", section="Keys"),
            line(slug="late", title="迟到的原文", category="安全", section="密钥", tags=["api"]),
            line(slug="plain", language="en", title="No section", category="Security", summary=" spaced "),
        )
    )
    first = run_export()
    assert len(first.splitlines()) == 7

    Article.objects.all().delete()
    Section.objects.all().delete()
    Category.objects.all().delete()
    Tag.objects.all().delete()
    run_import(write(tmp_path, first.rstrip("\n"), name="exported.jsonl"))

    assert run_export() == first
