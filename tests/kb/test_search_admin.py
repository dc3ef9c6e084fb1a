from datetime import timedelta

import pytest
from django.utils import timezone

from kb.models import BestBet, SearchLog, SynonymGroup
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def logs():
    article = make_article(title="提币审核")
    for query, results, clicked, ticket in [
        ("提币", 3, True, False), ("提币", 3, False, False), ("提币", 3, False, False),
        ("火星币", 0, False, True), ("withdraw stuck", 2, False, False),
    ]:  # fmt: skip
        SearchLog.objects.create(
            query=query, language="zh-hans", results=results, ticket_submitted=ticket,
            clicked_article=article if clicked else None,
        )  # fmt: skip
    SearchLog.objects.create(query="long ago", language="en", results=0, created_at=timezone.now() - timedelta(days=60))
    return article


@pytest.mark.parametrize(
    "url",
    [
        "/admin/kb/synonymgroup/",
        "/admin/kb/synonymgroup/add/",
        "/admin/kb/bestbet/",
        "/admin/kb/bestbet/add/",
        "/admin/kb/searchlog/",
        "/admin/kb/searchlog/analytics/",
    ],
)
@pytest.mark.parametrize("who", ["editor", "publisher", "superuser"])
def test_search_admin_pages_render_for_each_group(client, request, logs, url, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code == 200


def test_outsiders_cannot_see_search_analytics(client, outsider, logs):
    assert client.get("/admin/kb/searchlog/analytics/").status_code == 302
    client.force_login(outsider)
    assert client.get("/admin/kb/searchlog/analytics/").status_code == 302


def test_analytics_page_shows_each_report_for_the_chosen_period(client, editor, logs):
    client.force_login(editor)
    html = client.get("/admin/kb/searchlog/analytics/", {"period": "30"}).content.decode()
    assert "火星币" in html and "提币" in html and "long ago" not in html
    html = client.get("/admin/kb/searchlog/analytics/", {"period": "90"}).content.decode()
    assert "long ago" in html


def test_analytics_period_form_reports_bad_dates_instead_of_failing(client, editor, logs):
    client.force_login(editor)
    response = client.get(
        "/admin/kb/searchlog/analytics/", {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"}
    )
    assert response.status_code == 200 and "must not be after" in response.content.decode()
    assert client.get("/admin/kb/searchlog/analytics/", {"period": "custom", "start": "nonsense"}).status_code == 200


def test_editors_can_add_synonyms_and_best_bets(client, editor):
    article = make_article(title="资金费率说明")
    client.force_login(editor)
    assert (
        client.post("/admin/kb/synonymgroup/add/", {"language": "", "terms": "资金费, funding fee"}).status_code == 302
    )
    assert SynonymGroup.objects.filter(terms="资金费, funding fee").exists()
    response = client.post(
        "/admin/kb/bestbet/add/", {"query": " 资金费 ", "language": "zh-hans", "article": article.pk, "position": 0}
    )
    assert response.status_code == 302 and BestBet.objects.get().query == "资金费"


def test_search_log_is_read_only(client, superuser, logs):
    client.force_login(superuser)
    log = SearchLog.objects.first()
    assert client.get("/admin/kb/searchlog/add/").status_code == 403
    client.post(f"/admin/kb/searchlog/{log.pk}/change/", {"query": "changed"})
    log.refresh_from_db()
    assert log.query != "changed"


@pytest.mark.parametrize("extra", [0, 20])
def test_search_log_changelist_runs_a_constant_number_of_queries(
    client, editor, logs, django_assert_num_queries, extra
):
    for n in range(extra):
        SearchLog.objects.create(query=f"q{n}", language="en", results=n, clicked_article=logs)
    client.force_login(editor)
    client.get("/admin/kb/searchlog/")
    with django_assert_num_queries(8):
        assert client.get("/admin/kb/searchlog/").status_code == 200
