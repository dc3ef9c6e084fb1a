"""The supervisors' dashboard in a real browser: charts drawn under the strict CSP in both themes, CSV downloads."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from tests.tickets.factories import every_priority, make_policy, make_problem_type, open_ticket
from tickets import actions

pytestmark = pytest.mark.e2e


@pytest.fixture
def boss(db, django_user_model):
    """Staff holding the dashboard's permission directly."""
    # The live server's database is flushed between tests, and with it the groups (permissions are recreated).
    user = django_user_model.objects.create_user("boss", "boss@example.com", "pw-for-tests-1", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_all_queues"))
    return user


@pytest.fixture
def tickets(queue_a, boss):
    make_policy({**every_priority(60), **every_priority(600, "resolution")})
    problem_type = make_problem_type(queue=queue_a)
    opened = [open_ticket(problem_type)[0] for _n in range(3)]
    actions.add_agent_reply(ticket=opened[0], author=boss, body="Checking now.", status="solved")
    return opened


def _log_in(page):
    page.goto("/admin/login/?next=/admin/")
    page.locator("input[name=username]").fill("boss")
    page.locator("input[name=password]").fill("pw-for-tests-1")
    page.locator("#login-form input[type=submit]").click()
    page.wait_for_url("**/admin/")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_supervisor_opens_the_dashboard_from_the_admin_index_and_downloads_a_csv(pages, tickets, scheme):
    page = pages.open(color_scheme=scheme, locale="en-US", extra_http_headers={"Accept-Language": "en"})
    _log_in(page)
    page.get_by_role("link", name="Supervisors' dashboard").click()
    expect(page.locator("h1")).to_have_text("Supervisors' dashboard")
    charts = page.locator("svg.desk-svg")
    expect(charts).to_have_count(3)
    expect(page.get_by_role("img", name="Open tickets per queue and status")).to_be_visible()
    # The series colours come from the stylesheet (no inline style under the CSP), so bars are not drawn black.
    fill = page.locator("svg.desk-svg rect").first.evaluate("rect => getComputedStyle(rect).fill")
    assert fill not in ("rgb(0, 0, 0)", "")
    with page.expect_download() as download:
        page.locator("#attainment a", has_text="Download CSV").click()
    assert download.value.suggested_filename.startswith("dashboard-attainment-")
