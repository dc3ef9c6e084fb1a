"""The browsable API and the Swagger UI in a real browser, under the site's strict Content-Security-Policy."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from kb.models import Article
from tests.factories import make_article

pytestmark = pytest.mark.e2e


def _open(pages, path, user=None):
    """Open `path` in a fresh browser, logged in as `user` when given; wait until its scripts have run."""
    page = pages.open(extra_http_headers={"accept-language": "en"})
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
        page.context.add_cookies([{"name": "sessionid", "value": session, "url": pages.base_url}])
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return page


def test_browsable_api_pages_run_without_console_errors_for_the_public(pages):
    article = make_article(title="充值未到账", tags=["充值"])

    root = _open(pages, "/api/v1/")
    expect(root.locator(".page-header h1")).to_contain_text("Api Root")
    listing = _open(pages, "/api/v1/articles/?ordering=title")
    expect(listing.locator(".response-info")).to_contain_text(article.slug)
    listing.locator("button[data-target='#filtersModal']").click()
    expect(listing.locator("#filtersModal .api-ordering-mark")).to_be_visible()
    search = _open(pages, "/api/v1/search/?q=%E5%85%85%E5%80%BC&lang=zh-hans")
    expect(search.locator("#extra-actions-menu")).to_be_visible()
    _open(pages, f"/api/v1/articles/{article.pk}/")


def test_browsable_api_forms_for_staff_run_without_console_errors(pages, superuser):
    article = make_article(status=Article.Status.DRAFT)

    listing = _open(pages, "/api/v1/articles/", user=superuser)
    expect(listing.locator("#post-generic-content-form")).to_be_attached()
    detail = _open(pages, f"/api/v1/articles/{article.pk}/", user=superuser)
    expect(detail.locator("#put-generic-content-form button[data-method='PATCH']")).to_be_attached()
    expect(detail.locator("button[data-target='#deleteModal']")).to_be_visible()


def test_swagger_ui_loads_the_schema_without_console_errors(pages):
    page = _open(pages, "/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Helpdesk API")
    expect(page.locator(".opblock-summary-path[data-path='/api/v1/search/']").first).to_be_visible()
