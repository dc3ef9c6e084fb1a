"""Business-calendar arithmetic of the SLA clocks (pure, no database): properties over random calendars, named cases."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets import sla

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe"]
FIXED_ZONES = ["UTC", "Asia/Shanghai"]  # no daylight saving since 1991, so wall minutes are plain minutes
CHECKED = settings(max_examples=100, deadline=None, database=None)
SHANGHAI, BERLIN, LORD_HOWE = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin"), ZoneInfo("Australia/Lord_Howe")
NINE_TO_SIX = ((540, 1080),)
OFFICE = ((NINE_TO_SIX,) * 5) + ((), ())
NIGHTS = (((0, 360), (1320, 1440)),) * 7
HOUR = 3600


def office(zone="Asia/Shanghai", **days_off):
    return sla.Calendar(zone, OFFICE, **days_off)


def local(zone, *parts):
    return datetime(*parts, tzinfo=zone)


def offset_changes(zone_name):
    """UTC midnights before each day on which the zone changes its offset, 2024–2030."""
    zone, day, changes = ZoneInfo(zone_name), datetime(2024, 1, 1, tzinfo=UTC), []
    while day.year < 2031:
        if day.astimezone(zone).utcoffset() != (day + timedelta(days=1)).astimezone(zone).utcoffset():
            changes.append(day)
        day += timedelta(days=1)
    return changes


CHANGES = {name: offset_changes(name) for name in ZONES}

# Strategies ---------------------------------------------------------------------------------------------------------

minutes = st.one_of(st.integers(0, 1440), st.integers(0, 48).map(lambda half_hours: half_hours * 30))
day_hours = st.one_of(
    st.just(()),
    st.just(((0, 1440),)),
    st.sets(minutes, max_size=6).map(sorted).map(lambda points: tuple(zip(points[::2], points[1::2], strict=False))),
)
weeks = st.tuples(*[day_hours] * 7).filter(any)
days_off = st.frozensets(st.dates(date(2024, 1, 1), date(2031, 12, 31)), max_size=20)
every_year = st.frozensets(st.dates(date(2024, 1, 1), date(2024, 12, 31)).map(lambda d: (d.month, d.day)), max_size=5)


def calendars(zones=ZONES):
    return st.builds(sla.Calendar, st.sampled_from(zones), weeks, days_off, every_year)


@st.composite
def instants(draw, zone_name, whole_seconds=False):
    """An aware instant in 2024–2030, often within three days of a change of the zone's offset."""
    uniform = st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC))
    choices = [uniform]
    if CHANGES[zone_name]:
        near = st.tuples(
            st.sampled_from(CHANGES[zone_name]), st.integers(-3 * 86400, 4 * 86400), st.integers(0, 999_999)
        )
        choices.append(near.map(lambda case: case[0] + timedelta(seconds=case[1], microseconds=case[2])))
    instant = draw(st.one_of(choices)).astimezone(ZoneInfo(draw(st.sampled_from([zone_name, "UTC"]))))
    return instant.replace(microsecond=0) if whole_seconds else instant


def weekly_seconds(calendar):
    return sum(end - start for day in calendar.week for start, end in day) * 60


@st.composite
def scenarios(draw, zones=ZONES):
    """A calendar, a start and a duration of up to about 60 working days of that calendar."""
    calendar = draw(calendars(zones))
    return calendar, draw(instants(calendar.time_zone)), draw(st.integers(0, 60 * weekly_seconds(calendar) // 7))


# Properties ---------------------------------------------------------------------------------------------------------


@CHECKED
@given(scenarios())
def test_the_business_time_between_start_and_due_is_the_business_time_added(scenario):
    calendar, start, seconds = scenario
    assert sla.business_seconds_between(calendar, start, sla.add_business_seconds(calendar, start, seconds)) == seconds


@CHECKED
@given(scenarios())
def test_a_due_time_is_never_strictly_inside_non_working_time(scenario):
    calendar, start, seconds = scenario
    due = sla.add_business_seconds(calendar, start, seconds)
    assert due.tzinfo is UTC
    if seconds:
        assert sla.is_working(calendar, due - timedelta(microseconds=1))
        assert sla.is_working(calendar, due - timedelta(seconds=1))
        assert sla.business_seconds_between(calendar, start, due - timedelta(seconds=1)) == seconds - 1


@CHECKED
@given(
    st.sampled_from(ZONES).flatmap(lambda name: st.tuples(st.just(name), instants(name, True), instants(name, True)))
)
def test_a_24x7_calendar_is_plain_time_across_daylight_saving_changes(case):
    zone_name, start, end = case
    start = start.astimezone(UTC)  # adding a timedelta to a local datetime would add wall-clock time
    seconds = max(0, int((end - start).total_seconds()))
    # The second calendar has a holiday far away, so it is not the 24x7 fast path but the per-day arithmetic.
    for calendar in sla.Calendar.always(zone_name), sla.Calendar(zone_name, (((0, 1440),),) * 7, {date(2099, 1, 1)}):
        assert sla.add_business_seconds(calendar, start, seconds) == start + timedelta(seconds=seconds)
        assert sla.business_seconds_between(calendar, start, end) == seconds
        assert sla.is_working(calendar, start)


@CHECKED
@given(scenarios(), st.integers(0, 10 * HOUR))
def test_adding_more_business_time_never_gives_an_earlier_due_time_and_continues_from_the_due_time(scenario, more):
    calendar, start, seconds = scenario
    due = sla.add_business_seconds(calendar, start, seconds)
    assert due <= sla.add_business_seconds(calendar, start, seconds + more)
    assert sla.add_business_seconds(calendar, due, more) == sla.add_business_seconds(calendar, start, seconds + more)


@CHECKED
@given(
    calendars().flatmap(lambda calendar: st.tuples(st.just(calendar), instants(calendar.time_zone))),
    st.lists(st.timedeltas(timedelta(0), timedelta(days=90)), min_size=2, max_size=2),
)
def test_business_time_of_consecutive_spans_adds_up(case, gaps):
    calendar, first = case
    middle, last = first + min(gaps), first + max(gaps)
    between = sla.business_seconds_between
    assert between(calendar, first, middle) + between(calendar, middle, last) == between(calendar, first, last)
    assert between(calendar, last, first) == 0
    assert (
        0
        <= between(calendar, first, last)
        # In UTC: two datetimes of the same zone subtract as wall-clock times, and fall-back nights have more.
        <= (last.astimezone(UTC).replace(microsecond=0) - first.astimezone(UTC).replace(microsecond=0)).total_seconds()
    )


@CHECKED
@given(calendars().flatmap(lambda calendar: st.tuples(st.just(calendar), instants(calendar.time_zone))))
def test_the_next_working_instant_is_working_and_nothing_works_before_it(case):
    calendar, instant = case
    following = sla.next_working_instant(calendar, instant)
    assert following >= instant
    assert sla.is_working(calendar, following)
    assert sla.business_seconds_between(calendar, instant, following) == 0
    # In UTC: Python never finds a repeated wall time equal to an instant of another zone.
    assert (following == instant.astimezone(UTC)) == sla.is_working(calendar, instant)
    assert sla.is_working(calendar, instant) == (
        sla.business_seconds_between(calendar, instant, instant + timedelta(seconds=1)) == 1
    )


@CHECKED
@given(
    calendars(FIXED_ZONES).flatmap(lambda calendar: st.tuples(st.just(calendar), instants(calendar.time_zone, True))),
    st.integers(0, 3 * 24 * 60),
)
def test_business_time_counts_the_working_wall_clock_minutes_in_zones_without_daylight_saving(case, length):
    calendar, start = case
    start = start.replace(second=0)
    expected = 0
    for step in range(length):
        wall = (start + timedelta(minutes=step)).astimezone(calendar.zone)
        minute = wall.hour * 60 + wall.minute
        expected += any(begin <= minute < end for begin, end in calendar.hours_on(wall.date())) * 60
    assert sla.business_seconds_between(calendar, start, start + timedelta(minutes=length)) == expected


# Named cases --------------------------------------------------------------------------------------------------------


def test_a_ticket_opened_on_friday_evening_is_due_on_monday_morning():
    due = sla.add_business_seconds(office(), local(SHANGHAI, 2025, 3, 7, 17, 55), HOUR)
    assert due == local(SHANGHAI, 2025, 3, 10, 9, 55)
    assert due.tzinfo is UTC


def test_a_monday_holiday_moves_the_due_time_to_tuesday():
    calendar = office(holidays={date(2025, 3, 10)})
    assert sla.add_business_seconds(calendar, local(SHANGHAI, 2025, 3, 7, 17, 55), HOUR) == local(
        SHANGHAI, 2025, 3, 11, 9, 55
    )


@pytest.mark.parametrize("year", [2024, 2025, 2030])
def test_a_yearly_holiday_is_off_every_year(year):
    calendar = office(yearly={(10, 1)})
    start = local(SHANGHAI, year, 9, 30, 17, 30)  # a weekday in each of these years, as is Oct 2
    assert sla.add_business_seconds(calendar, start, HOUR) == local(SHANGHAI, year, 10, 2, 9, 30)
    assert not sla.is_working(calendar, local(SHANGHAI, year, 10, 1, 10))


def test_february_29_as_a_yearly_holiday_is_off_only_in_leap_years():
    calendar = sla.Calendar("UTC", ((NINE_TO_SIX,) * 7), yearly={(2, 29)})
    assert not sla.is_working(calendar, local(UTC, 2028, 2, 29, 10))
    assert sla.is_working(calendar, local(UTC, 2027, 2, 28, 10))
    assert sla.is_working(calendar, local(UTC, 2027, 3, 1, 10))


def test_new_year_skips_january_first_from_december_31():
    calendar = office(yearly={(1, 1)})
    due = sla.add_business_seconds(calendar, local(SHANGHAI, 2025, 12, 31, 17, 30), HOUR)
    assert due == local(SHANGHAI, 2026, 1, 2, 9, 30)


def test_a_due_time_may_be_the_very_end_of_a_working_day():
    assert sla.add_business_seconds(office(), local(SHANGHAI, 2025, 3, 7, 17), HOUR) == local(SHANGHAI, 2025, 3, 7, 18)


def test_thirty_working_days_of_nine_hours_end_on_the_sixth_friday_evening():
    due = sla.add_business_seconds(office(), local(SHANGHAI, 2025, 3, 3, 9), 30 * 9 * HOUR)
    assert due == local(SHANGHAI, 2025, 4, 11, 18)


def test_spring_forward_night_in_berlin_is_one_hour_shorter():
    always = sla.Calendar.always("Europe/Berlin")
    start = local(BERLIN, 2025, 3, 30, 1, 30)
    assert sla.add_business_seconds(always, start, HOUR) == local(BERLIN, 2025, 3, 30, 3, 30)
    assert sla.business_seconds_between(always, local(BERLIN, 2025, 3, 30), local(BERLIN, 2025, 3, 31)) == 23 * HOUR
    nights = sla.Calendar("Europe/Berlin", NIGHTS)
    evening = local(BERLIN, 2025, 3, 29, 22)
    assert sla.business_seconds_between(nights, evening, local(BERLIN, 2025, 3, 30, 12)) == 7 * HOUR
    assert sla.add_business_seconds(nights, evening, 7 * HOUR) == local(BERLIN, 2025, 3, 30, 6)
    assert sla.add_business_seconds(nights, evening, 7 * HOUR + 1) == local(BERLIN, 2025, 3, 30, 22, 0, 1)


def test_fall_back_night_in_berlin_is_one_hour_longer():
    always = sla.Calendar.always("Europe/Berlin")
    assert sla.business_seconds_between(always, local(BERLIN, 2025, 10, 26), local(BERLIN, 2025, 10, 27)) == 25 * HOUR
    nights = sla.Calendar("Europe/Berlin", NIGHTS)
    evening = local(BERLIN, 2025, 10, 25, 22)
    assert sla.business_seconds_between(nights, evening, local(BERLIN, 2025, 10, 26, 12)) == 9 * HOUR
    assert sla.add_business_seconds(nights, evening, 8 * HOUR) == local(BERLIN, 2025, 10, 26, 5)


def test_working_hours_the_clock_skips_work_nothing_and_repeated_ones_work_twice():
    two_to_three = sla.Calendar("Europe/Berlin", (((120, 180),),) * 7)
    spring, autumn = date(2025, 3, 30), date(2025, 10, 26)
    assert sla.business_seconds_between(two_to_three, local(BERLIN, 2025, 3, 30), local(BERLIN, 2025, 3, 31)) == 0
    assert sla.next_working_instant(two_to_three, local(BERLIN, 2025, 3, 30)) == local(BERLIN, 2025, 3, 31, 2)
    assert sla.business_seconds_between(two_to_three, local(BERLIN, 2025, 10, 26), local(BERLIN, 2025, 10, 27)) == 7200
    # An interval starting at a skipped wall time starts at the jump, 03:00 summer time.
    from_half_past_two = sla.Calendar("Europe/Berlin", (((150, 300),),) * 7)
    assert sla.next_working_instant(from_half_past_two, datetime.combine(spring, time(), BERLIN)) == local(
        BERLIN, 2025, 3, 30, 3
    )
    # An interval ending inside the repeated hour ends at its first occurrence (02:30 summer time, 00:30 UTC).
    to_half_past_two = sla.Calendar("Europe/Berlin", (((60, 150),),) * 7)
    day_start = datetime.combine(autumn, time(), BERLIN)
    assert sla.add_business_seconds(to_half_past_two, day_start, 90 * 60) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_lord_howe_island_changes_its_clock_by_half_an_hour():
    day = sla.business_seconds_between
    always, office_hours = sla.Calendar.always("Australia/Lord_Howe"), office("Australia/Lord_Howe")
    assert day(always, local(LORD_HOWE, 2025, 10, 5), local(LORD_HOWE, 2025, 10, 6)) == 23 * HOUR + 1800
    assert day(always, local(LORD_HOWE, 2025, 4, 6), local(LORD_HOWE, 2025, 4, 7)) == 24 * HOUR + 1800
    assert day(office_hours, local(LORD_HOWE, 2025, 10, 6), local(LORD_HOWE, 2025, 10, 7)) == 9 * HOUR


def test_an_interval_ending_at_midnight_joins_the_next_days_interval_from_midnight():
    whole_days = sla.Calendar("UTC", (((0, 1440),),) * 2 + ((),) * 5)
    monday_night = local(UTC, 2025, 3, 3, 23, 30)
    assert sla.add_business_seconds(whole_days, monday_night, HOUR) == local(UTC, 2025, 3, 4, 0, 30)
    assert sla.is_working(whole_days, local(UTC, 2025, 3, 4))
    assert sla.next_working_instant(whole_days, monday_night) == monday_night
    assert sla.add_business_seconds(whole_days, monday_night, 25 * HOUR) == local(UTC, 2025, 3, 10, 0, 30)
    nights = sla.Calendar("UTC", (((1320, 1440),), ((0, 360),)) + ((),) * 5)
    assert sla.add_business_seconds(nights, local(UTC, 2025, 3, 3, 23), 2 * HOUR) == local(UTC, 2025, 3, 4, 1)


def test_outside_working_hours_the_next_working_instant_is_the_next_start():
    saturday = local(SHANGHAI, 2025, 3, 8, 12)
    assert not sla.is_working(office(), saturday)
    assert sla.next_working_instant(office(), saturday) == local(SHANGHAI, 2025, 3, 10, 9)
    assert sla.is_working(office(), local(SHANGHAI, 2025, 3, 10, 17, 59, 59))
    assert not sla.is_working(office(), local(SHANGHAI, 2025, 3, 10, 18))


def test_sub_second_parts_are_truncated_to_the_second_and_zero_seconds_is_the_start_itself():
    start = local(SHANGHAI, 2025, 3, 10, 9, 0, 0, 700_000)
    assert sla.add_business_seconds(office(), start, 1) == local(SHANGHAI, 2025, 3, 10, 9, 0, 1)
    assert sla.add_business_seconds(office(), start, 0) == start
    assert sla.business_seconds_between(office(), start, start + timedelta(microseconds=400_000)) == 1


def test_a_calendar_without_working_minutes_is_refused():
    with pytest.raises(ValueError, match="at least one working minute"):
        sla.Calendar("UTC", ((),) * 7)


def test_a_calendar_whose_working_days_are_all_holidays_refuses_to_search_forever():
    every_day = frozenset((d.month, d.day) for d in (date(2024, 1, 1) + timedelta(days=n) for n in range(366)))
    calendar = office(yearly=every_day)
    start = local(SHANGHAI, 2025, 3, 10, 10)
    with pytest.raises(ValueError, match="no working time"):
        sla.add_business_seconds(calendar, start, 1)
    with pytest.raises(ValueError, match="no working time"):
        sla.next_working_instant(calendar, start)
    assert not sla.is_working(calendar, start)
    assert sla.business_seconds_between(calendar, start, start + timedelta(days=30)) == 0


@pytest.mark.parametrize(
    "time_zone,week,message",
    [
        ("Mars/Olympus", OFFICE, "Unknown time zone"),
        ("UTC", OFFICE[:6], "7 days"),
        ("UTC", (((540, 480),),) + ((),) * 6, "0 <= start < end"),
        ("UTC", (((0, 1441),),) + ((),) * 6, "0 <= start < end"),
        ("UTC", (((-1, 60),),) + ((),) * 6, "0 <= start < end"),
        ("UTC", (((540, 720), (700, 900)),) + ((),) * 6, "must not overlap"),
        ("UTC", (((780, 900), (540, 720)),) + ((),) * 6, "must be sorted"),
        ("UTC", (((540.5, 720),),) + ((),) * 6, "whole minutes"),
        ("UTC", ((540, 1080),) * 7, "not a list"),
    ],
)
def test_a_malformed_calendar_is_refused_with_a_clear_message(time_zone, week, message):
    with pytest.raises(ValueError, match=message):
        sla.Calendar(time_zone, week)


def test_holidays_must_be_dates_and_yearly_holidays_real_days():
    with pytest.raises(ValueError, match="dates"):
        office(holidays={datetime(2025, 1, 1, tzinfo=UTC)})
    for wrong in (2, 30), (1, 1, 2025), 101:
        with pytest.raises(ValueError, match=r"\(month, day\) pair"):
            office(yearly={wrong})


def test_a_week_given_as_lists_becomes_tuples_so_calendars_compare_and_hash():
    from_rows = sla.Calendar("UTC", [[[540, 1080]]] * 5 + [[], []], {date(2025, 1, 1)}, [[1, 1]])
    assert from_rows == sla.Calendar("UTC", ((NINE_TO_SIX,) * 5) + ((), ()), frozenset({date(2025, 1, 1)}), {(1, 1)})
    assert len({from_rows, office("UTC")}) == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: sla.add_business_seconds(office(), naive, 60),
        lambda naive: sla.add_business_seconds(office(), naive, 0),
        lambda naive: sla.business_seconds_between(office(), naive, local(UTC, 2026, 1, 1)),
        lambda naive: sla.business_seconds_between(office(), local(UTC, 2024, 1, 1), naive),
        lambda naive: sla.is_working(sla.Calendar.always(), naive),
        lambda naive: sla.next_working_instant(office(), naive),
    ],
)
def test_a_naive_datetime_is_refused(call):
    with pytest.raises(ValueError, match="naive"):
        call(datetime(2025, 3, 10, 10))


def test_negative_or_fractional_business_time_is_refused():
    with pytest.raises(ValueError, match="negative"):
        sla.add_business_seconds(office(), local(UTC, 2025, 3, 10), -1)
    with pytest.raises(TypeError):
        sla.add_business_seconds(office(), local(UTC, 2025, 3, 10), 3600.0)


def test_the_always_calendar_is_the_fast_path_and_a_full_week_with_a_holiday_is_not():
    assert sla.Calendar.always("Europe/Berlin").is_always
    assert sla.Calendar("UTC", (((0, 720), (720, 1440)),) * 7).is_always
    assert not sla.Calendar("UTC", (((0, 1440),),) * 7, {date(2025, 1, 1)}).is_always
    assert not office().is_always


@pytest.mark.parametrize(
    "calendar,text",
    [
        (sla.Calendar.always("Asia/Shanghai"), "24x7"),
        (
            office(holidays={date(2025, 1, 1), date(2025, 5, 1), date(2025, 10, 1)}),
            "Mon–Fri 09:00–18:00 Asia/Shanghai, 3 holidays",
        ),
        (
            sla.Calendar(
                "UTC", (NINE_TO_SIX, (), NINE_TO_SIX, (), ((540, 720), (780, 1020)), ((600, 840),), ()), yearly={(1, 1)}
            ),
            "Mon,Wed 09:00–18:00; Fri 09:00–12:00, 13:00–17:00; Sat 10:00–14:00 UTC, 1 yearly holiday",
        ),
        (sla.Calendar("Europe/Berlin", NIGHTS), "Mon–Sun 00:00–06:00, 22:00–24:00 Europe/Berlin"),
    ],
)
def test_a_calendar_describes_itself_in_a_short_line(calendar, text):
    assert sla.describe(calendar) == text
