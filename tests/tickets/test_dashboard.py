"""The supervisors' dashboard: backlog, attainment, medians and intake from known tickets, on the page and in CSV."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from tests.tickets.factories import every_priority, make_policy, make_problem_type, make_queue, open_ticket
from tickets import actions, charts, dashboard, sweep
from tickets.models import Metric, Queue, SLAClock

pytestmark = pytest.mark.django_db

URL = "/admin/tickets/dashboard/"
# The desk's time zone is Asia/Shanghai (UTC+8): 17:00 UTC is already the next day there.
NOW = datetime(2026, 3, 5, 4, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION


def at(when, action, **arguments):
    with time_machine.travel(when, tick=False):
        return action(**arguments)


def opened(problem_type, when):
    return at(when, lambda: open_ticket(problem_type)[0])


def reply(ticket, agent, when, **extra):
    at(when, actions.add_agent_reply, ticket=ticket, author=agent, body="Checking now.", **extra)


def solve(ticket, when):
    at(when, actions.change_status, ticket=ticket, status="solved")


@pytest.fixture
def desk(queue_a, queue_b, agent_a):
    """Known tickets in queues A, B and C under two policies, swept at NOW (see each line for what it adds up to).

    Policy "Payments SLA" (queue A): first reply 60 min, resolution 24 h, warning at half. "Standard SLA" (every
    other queue): first reply 120 min, resolution 100 h.
    """
    queue_c = make_queue(slug="queue-c", name="Queue C")
    make_policy({**every_priority(60), **every_priority(1440, "resolution")}, name="Payments SLA", queue=queue_a,
                warn_at_percent=50)  # fmt: skip
    make_policy({**every_priority(120), **every_priority(6000, "resolution")}, name="Standard SLA", position=1,
                only=False)  # fmt: skip
    type_a, type_b, type_c = (make_problem_type(queue=queue) for queue in (queue_a, queue_b, queue_c))

    old = opened(type_a, datetime(2026, 1, 20, 2, 0, tzinfo=UTC))  # before the period: backlog only, breached
    a1 = opened(type_a, T0)
    a2 = opened(type_a, T0 + 10 * MINUTE)
    a5 = opened(type_a, T0 + 20 * MINUTE)
    reply(a5, agent_a, T0 + 30 * MINUTE)  # first reply after 10 min
    reply(a1, agent_a, T0 + 30 * MINUTE)  # 30 min
    reply(a2, agent_a, T0 + 110 * MINUTE)  # 100 min: late, and no sweep ran meanwhile
    solve(a1, T0 + 120 * MINUTE)  # solved after 120 min
    solve(a5, T0 + 220 * MINUTE)  # 200 min
    b1 = opened(type_b, datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    reply(b1, agent_a, datetime(2026, 3, 3, 2, 50, tzinfo=UTC))  # 50 min; stays open, resolution running
    solve(a2, T0 + 1510 * MINUTE)  # 1,500 min: resolution late
    b2 = opened(type_b, datetime(2026, 3, 3, 17, 0, tzinfo=UTC))  # 01:00 on 4 March in Shanghai
    at(datetime(2026, 3, 3, 17, 5, tzinfo=UTC), actions.change_status, ticket=b2, status="pending")
    c1 = opened(type_c, datetime(2026, 3, 4, 3, 0, tzinfo=UTC))
    reply(c1, agent_a, datetime(2026, 3, 4, 5, 30, tzinfo=UTC))  # 150 min: late
    b3 = opened(type_b, datetime(2026, 3, 4, 6, 0, tzinfo=UTC))
    reply(b3, agent_a, datetime(2026, 3, 4, 7, 50, tzinfo=UTC), status="solved")  # 110 min, solved with it
    a3 = opened(type_a, datetime(2026, 3, 4, 10, 0, tzinfo=UTC))  # no reply: first response breached at 11:00
    a4 = opened(type_a, NOW - 40 * MINUTE)  # warned at 30 min, due at 60: at risk now
    with time_machine.travel(NOW, tick=False):
        sweep.sweep(now=NOW)
    return {"queues": (queue_a, queue_b, queue_c), "tickets": (old, a1, a2, a3, a4, a5, b1, b2, b3, c1)}


@pytest.fixture
def boss(client, supervisor):
    client.force_login(supervisor)
    return client


def get(client, **params):
    with time_machine.travel(NOW, tick=False):
        return client.get(URL, params)


def csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def by_first(rows):
    return {row[0]: row[1:] for row in rows}


# Access ---------------------------------------------------------------------------------------------------------


def test_supervisors_and_superusers_see_the_dashboard(client, supervisor, superuser):
    for user in (supervisor, superuser):
        client.force_login(user)
        response = get(client)
        assert response.status_code == 200
        assert b"Supervisors&#x27; dashboard" in response.content


def test_agents_are_refused_the_dashboard_and_its_csv(client, agent_a):
    client.force_login(agent_a)
    assert get(client).status_code == 403
    assert get(client, format="csv", table="backlog").status_code == 403


def test_anonymous_visitors_and_customers_are_sent_to_the_staff_login(client, outsider):
    response = get(client)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/admin/tickets/")
    client.force_login(outsider)
    assert get(client)["Location"].startswith("/admin/login/")


def test_the_admin_index_links_the_dashboard_for_supervisors_only(client, supervisor, agent_a):
    client.force_login(supervisor)
    assert URL in client.get("/admin/").content.decode()
    client.force_login(agent_a)
    assert URL not in client.get("/admin/").content.decode()


# Numbers --------------------------------------------------------------------------------------------------------


def test_backlog_counts_open_tickets_per_queue_and_status_with_those_at_risk_and_breached(boss, desk):
    response = get(boss)
    rows = {row.queue.slug if row.queue else "all": row for row in response.context["backlog"]}
    assert (rows["queue-a"].statuses, rows["queue-a"].at_risk, rows["queue-a"].breached) == ({"new": 3}, 1, 2)
    assert (rows["queue-b"].statuses, rows["queue-b"].at_risk, rows["queue-b"].breached) == (
        {"open": 1, "pending": 1},
        0,
        1,
    )
    assert (rows["queue-c"].statuses, rows["queue-c"].breached) == ({"open": 1}, 0)
    assert (rows["all"].counts, rows["all"].total, rows["all"].at_risk, rows["all"].breached) == ([3, 2, 1, 0], 6, 1, 3)
    assert rows["payments"].total == 0  # a starter queue with nothing open still has its row

    table = by_first(csv_rows(get(boss, format="csv", table="backlog")))
    assert table["Queue"] == ["New", "Open", "Pending (waiting on customer)", "On hold (waiting on a third party)",
                              "Open tickets", "At risk", "Breached"]  # fmt: skip
    assert table["Queue A"] == ["3", "0", "0", "0", "3", "1", "2"]
    assert table["Queue B"] == ["0", "1", "1", "0", "2", "0", "1"]
    assert table["All queues"] == ["3", "2", "1", "0", "6", "1", "3"]


def test_attainment_is_the_share_of_clocks_met_on_time_per_queue_policy_and_metric(boss, desk):
    result = get(boss).context["attainment"]
    queues = {row.label: row for row in result.queues}
    policies = {row.label: row for row in result.policies}
    assert result.metrics == [FR, RES]  # no next-response clock in the period: no column for it
    assert queues["Queue A"].scores[FR] == dashboard.Score(on_time=2, late=2, running=1)
    assert queues["Queue A"].scores[RES] == dashboard.Score(on_time=2, late=1, running=2)
    assert queues["Queue B"].scores[FR] == dashboard.Score(on_time=2, late=1, running=0)
    assert queues["Queue B"].scores[RES] == dashboard.Score(on_time=1, late=0, running=2)
    assert queues["Queue C"].scores[FR].percent == 0
    assert list(policies) == ["Payments SLA", "Standard SLA"]
    assert policies["Standard SLA"].scores[FR] == dashboard.Score(on_time=2, late=2, running=0)
    assert result.total.scores[FR] == dashboard.Score(on_time=4, late=4, running=1)
    assert result.total.scores[RES].percent == 75

    rows = csv_rows(get(boss, format="csv", table="attainment"))
    assert rows[0] == ["Grouped by", "Name", "Metric", "On time", "Breached", "In progress", "Attained %"]
    assert ["Queue", "Queue A", "Resolution", "2", "1", "2", "66.7"] in rows
    assert ["Queue", "Queue B", "First response", "2", "1", "0", "66.7"] in rows
    assert ["Queue", "Queue C", "First response", "0", "1", "0", "0.0"] in rows
    assert ["SLA policy", "Standard SLA", "Resolution", "1", "0", "3", "100.0"] in rows
    assert ["All queues", "All queues", "First response", "4", "4", "1", "50.0"] in rows
    assert ["Queue", "General", "First response", "0", "0", "0", ""] in rows  # no clock: no percentage


def test_the_sweeps_recorded_breach_and_a_late_fulfilment_both_count_as_breached(desk):
    _old, _a1, a2, a3, *_rest = desk["tickets"]
    late_reply = SLAClock.objects.get(ticket=a2, metric=FR)
    swept = SLAClock.objects.get(ticket=a3, metric=FR)
    assert late_reply.breached_at is None and late_reply.fulfilled_at > late_reply.due_at
    assert swept.breached_at == datetime(2026, 3, 4, 11, 0, tzinfo=UTC) and swept.fulfilled_at is None


def test_medians_of_real_minutes_to_first_reply_and_resolution_per_queue_and_overall(boss, desk):
    rows = {row.label: row for row in get(boss).context["times"]}
    assert (rows["Queue A"].first_response, rows["Queue A"].replied) == (timedelta(minutes=30), 3)
    assert (rows["Queue B"].first_response, rows["Queue B"].replied) == (timedelta(minutes=80), 2)  # 50 and 110
    assert (rows["Queue C"].first_response, rows["Queue C"].resolution) == (timedelta(minutes=150), None)
    assert (rows["All queues"].first_response, rows["All queues"].replied) == (timedelta(minutes=75), 6)
    assert (rows["Queue A"].resolution, rows["Queue A"].resolved) == (timedelta(minutes=200), 3)
    assert (rows["All queues"].resolution, rows["All queues"].resolved) == (timedelta(minutes=160), 4)

    table = by_first(csv_rows(get(boss, format="csv", table="times")))
    assert table["Queue A"] == ["30.0", "3", "200.0", "3"]
    assert table["Queue C"] == ["150.0", "1", "", "0"]
    assert table["All queues"] == ["75.0", "6", "160.0", "4"]


def test_the_window_function_median_equals_percentile_cont(desk):
    clocks = SLAClock.objects.filter(metric__in=[FR, RES], state="fulfilled")
    assert dashboard.medians(clocks, "ticket__queue_id") == dashboard.middle_rows_median(clocks, "ticket__queue_id")
    assert dashboard.medians(clocks) == dashboard.middle_rows_median(clocks)
    assert dashboard.medians(clocks)[(None, FR)] == (timedelta(minutes=75), 6)
    if connection.vendor == "postgresql":
        query = clocks.values_list("metric").annotate(median=dashboard.Median(dashboard.ELAPSED)).query
        assert "PERCENTILE_CONT(0.5) WITHIN GROUP" in str(query)


def test_tickets_created_per_day_count_in_the_desks_time_zone(boss, desk):
    intake = get(boss).context["intake"]
    columns = [queue.slug for queue in intake.queues]
    days = {day: dict(zip(columns, counts, strict=True)) for day, counts, _total in intake.days}
    assert len(days) == 30 and min(days) == date(2026, 2, 4) and max(days) == date(2026, 3, 5)
    assert days[date(2026, 3, 2)]["queue-a"] == 3
    assert (days[date(2026, 3, 3)]["queue-a"], days[date(2026, 3, 3)]["queue-b"]) == (0, 1)
    # b2 was opened at 17:00 UTC on 3 March: 01:00 on 4 March in Shanghai.
    fourth = days[date(2026, 3, 4)]
    assert (fourth["queue-a"], fourth["queue-b"], fourth["queue-c"]) == (1, 2, 1)
    assert intake.total == 9  # the January ticket is outside the period

    table = by_first(csv_rows(get(boss, format="csv", table="daily")))
    names = table["Date"]
    assert names[-1] == "Total" and "Queue B" in names
    assert table["2026-03-04"][names.index("Queue B")] == "2" and table["2026-03-04"][-1] == "4"
    assert table["2026-03-05"][-1] == "1" and len(table) == 31


def test_a_chosen_period_and_queue_narrow_every_panel_but_the_backlog_period(boss, desk):
    queue_b = desk["queues"][1]
    response = get(boss, **{"from": "2026-03-04", "to": "2026-03-05", "queue": queue_b.pk})
    context = response.context
    assert [row.queue for row in context["backlog"]][:-1] == [queue_b]
    assert context["backlog"][-1].total == 2
    assert [row.label for row in context["attainment"].queues] == ["Queue B"]
    assert context["attainment"].total.scores[FR] == dashboard.Score(on_time=1, late=1, running=0)  # b3, b2
    assert [len(counts) for _day, counts, _total in context["intake"].days] == [1, 1]
    assert context["intake"].total == 2
    times = {row.label: row for row in context["times"]}
    assert times["All queues"].first_response == timedelta(minutes=110)
    page = response.content.decode()
    assert "2026-03-04 to 2026-03-05 (2 days)" in page
    assert f"from=2026-03-04&amp;to=2026-03-05&amp;format=csv&amp;queue={queue_b.pk}&amp;table=attainment" in page


def test_the_page_shows_the_numbers_in_its_tables(boss, desk):
    page = get(boss).content.decode()
    assert '<strong>50.0%</strong> <span class="desk-quiet">4 of 8</span>' in page
    assert "<strong>66.7%</strong>" in page and "1 in progress" in page
    assert "1 h 15 min" in page and "2 h 40 min" in page  # all queues: 75 and 160 minutes
    assert "30 min" in page and "9 tickets created in the period." in page
    assert page.count('<svg class="desk-svg"') == 3 and page.count('role="img"') == 3
    assert '<title id="backlog-chart-title">Open tickets per queue and status</title>' in page


def test_the_page_is_translated(client, supervisor, desk):
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        page = client.get(URL, headers={"accept-language": "zh-hans"}).content.decode()
    assert "主管看板" in page and "SLA 达成率" in page


# Bad input and CSV --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params,message",
    [
        ({"from": "2026-02-30"}, "Enter a valid date."),
        ({"from": "yesterday", "to": "2026-03-01"}, "Enter a valid date."),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "The start date is after the end date."),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "Choose at most 366 days."),
        ({"queue": "nope"}, "Select a valid choice."),
    ],
)
def test_a_bad_period_is_a_message_on_the_page_and_the_last_30_days_are_shown(boss, params, message):
    response = get(boss, **params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["period"] == dashboard.Period.default(date(2026, 3, 5), response.context["period"].zone)
    csv_response = get(boss, format="csv", table="backlog", **params)
    assert csv_response.status_code == 400 and message in csv_response.content.decode()


def test_366_days_are_allowed(boss):
    response = get(boss, **{"from": "2025-03-05", "to": "2026-03-05"})
    assert not response.context["form"].errors and len(response.context["period"].days) == 366


def test_an_unknown_csv_table_is_a_400_that_names_the_tables(boss):
    response = get(boss, format="csv", table="secrets")
    assert response.status_code == 400
    assert response.content.decode() == "Choose a table: backlog, attainment, times, daily, satisfaction."


def test_csv_is_an_attachment_named_after_the_table_and_period(boss, desk):
    response = get(boss, format="csv", table="attainment")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="dashboard-attainment-2026-02-04-2026-03-05.csv"'


def test_csv_cells_that_would_start_a_formula_are_quoted(boss):
    for n, name in enumerate(['=HYPERLINK("http://evil")', "+cmd", "-2+3", "@SUM(A1)", "Plain"]):
        make_queue(slug=f"odd-{n}", name=name)
    rows = csv_rows(get(boss, format="csv", table="backlog"))
    names = [row[0] for row in rows]
    assert '\'=HYPERLINK("http://evil")' in names and "'+cmd" in names and "'-2+3" in names
    assert "'@SUM(A1)" in names and "Plain" in names
    header = csv_rows(get(boss, format="csv", table="daily"))[0]
    assert '\'=HYPERLINK("http://evil")' in header
    assert dashboard.csv_cell("\tx") == "'\tx" and dashboard.csv_cell(-1) == "-1" and dashboard.csv_cell(None) == ""


# Bounded queries ------------------------------------------------------------------------------------------------


def test_the_page_and_each_csv_run_a_fixed_number_of_queries_for_5_or_50_tickets(
    boss, agent_a, queue_a, django_assert_num_queries
):
    make_policy({**every_priority(60), **every_priority(600, "resolution")})
    problem_type = make_problem_type(queue=queue_a)

    def add(count):
        for n in range(count):
            ticket = opened(problem_type, T0 + n * MINUTE)
            if n % 2:
                reply(ticket, agent_a, T0 + (n + 30) * MINUTE, status="solved" if n % 4 == 1 else None)

    add(5)
    get(boss)  # the site's banner context is cached after the first page
    for count in (5, 45):
        if count == 45:
            add(45)
        with django_assert_num_queries(15):  # the user and permissions, then 12 for the panels
            assert get(boss).status_code == 200
        for table, queries in [("backlog", 7), ("attainment", 5), ("times", 6), ("daily", 5), ("satisfaction", 7)]:
            with django_assert_num_queries(queries):
                get(boss, format="csv", table=table)
    assert Queue.objects.get(pk=queue_a.pk).tickets.count() == 50


# Charts ---------------------------------------------------------------------------------------------------------


def test_chart_scales_end_on_a_round_number_at_or_above_the_largest_value():
    assert charts.scale(0) == (1, 1)
    assert charts.scale(3) == (3, 1)
    assert charts.scale(7) == (8, 2)
    assert charts.scale(12) == (15, 5)
    assert charts.scale(480) == (500, 100)


def test_stacked_bars_are_as_long_as_their_share_of_the_scale():
    chart = charts.stacked_rows([("Queue A", [2, 1]), ("Queue B", [0, 3])], ["New", "Open"])
    plot = charts.WIDTH - charts.LEFT - charts.RIGHT
    first, second, third = chart.rects
    assert (first.x, first.width) == (charts.LEFT, round(plot * 2 / 3, 1))
    assert (second.x, second.width) == (round(charts.LEFT + plot * 2 / 3, 1), round(plot / 3, 1))
    assert third.width == plot and third.series == 1 and third.title == "Queue B: Open 3"
    assert chart.legend == [(0, "New"), (1, "Open")]


def test_percent_bars_skip_metrics_without_data_and_long_names_are_shortened():
    chart = charts.grouped_percent_rows([("A very long queue name that does not fit", [50.0, None])], ["FR", "RES"])
    assert len(chart.rects) == 1 and chart.rects[0].width == (charts.WIDTH - charts.LEFT - charts.RIGHT) / 2
    labels = [text.text for text in chart.texts if text.kind == "label"]
    assert labels == ["A very long queue name th…"]


def test_day_columns_label_about_ten_days_and_colours_repeat_after_eight_series():
    columns = [(f"03-{n:02d}", [1] * 9) for n in range(1, 31)]
    chart = charts.stacked_columns(columns, [f"Q{n}" for n in range(9)])
    assert len([text for text in chart.texts if text.kind == "scale" and "-" in text.text]) == 10
    assert {rect.series for rect in chart.rects} == set(range(8)) and chart.legend[8] == (0, "Q8")
