"""Business-calendar arithmetic of the SLA clocks: pure functions over aware datetimes, no database.

Business time is real elapsed time (seconds of UTC) inside working intervals. Intervals are local wall-clock minutes
of a day in the calendar's time zone, turned into instants per local date:

1. A wall time maps to the first instant the local clock shows it (``fold=0``); a wall time skipped by a
   spring-forward jump maps to the instant of the jump. This mapping never goes backwards, so intervals of
   consecutive days never overlap in UTC and every function here is monotonic. Consequences: a working hour that the
   clock skips works no time; on a fall-back night an interval from before to after the repeated hour gets it twice
   (22:00–06:00 works 9 hours), and an interval ending inside the repeated hour ends at its first occurrence.
2. An interval ending at 1440 ends where the next day's interval starting at 0 begins: no break at midnight.
3. A holiday (a date, or a month and day every year) removes the whole local date.
4. Sub-second parts are truncated: an instant counts from the start of its second, so results are whole seconds.
"""

import operator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from itertools import count, groupby
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_MINUTES = 24 * 60
ONE_DAY = timedelta(days=1)
ONE_SECOND = timedelta(seconds=1)
# A calendar whose every working day is a holiday would otherwise make add_business_seconds search forever.
SEARCH_DAYS = 10 * 366
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday in a time zone, with days off."""

    time_zone: str
    week: tuple
    holidays: frozenset = frozenset()
    yearly: frozenset = frozenset()

    def __post_init__(self):
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"Unknown time zone {self.time_zone!r}.") from None
        object.__setattr__(self, "week", _checked_week(self.week))
        if not any(self.week):
            raise ValueError("A business calendar needs at least one working minute in its week.")
        if any(not isinstance(day, date) or isinstance(day, datetime) for day in self.holidays):
            raise ValueError("Holidays are dates (datetime.date), not times.")
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        yearly = set()
        for entry in self.yearly:
            try:
                month, day = entry
                date(2000, month, day)  # a leap year, so Feb 29 is accepted
            except (TypeError, ValueError):
                raise ValueError(f"Yearly holiday {entry!r} is not a (month, day) pair.") from None
            yearly.add((month, day))
        object.__setattr__(self, "yearly", frozenset(yearly))

    @classmethod
    def always(cls, time_zone="UTC"):
        """A 24x7 calendar: every day all day, no holidays."""
        return cls(time_zone, (((0, DAY_MINUTES),),) * 7)

    @cached_property
    def zone(self):
        """The time zone as a ZoneInfo."""
        return ZoneInfo(self.time_zone)

    @cached_property
    def is_always(self):
        """True when every instant is working, so business time is plain time."""
        full = all(sum(end - start for start, end in day) == DAY_MINUTES for day in self.week)
        return full and not self.holidays and not self.yearly

    def hours_on(self, day):
        """The working intervals (start_minute, end_minute) of a local date: none on a holiday."""
        if day in self.holidays or (day.month, day.day) in self.yearly:
            return ()
        return self.week[day.weekday()]


def _checked_week(week):
    """The week as a tuple of 7 tuples of (start, end) pairs, or ValueError saying what is wrong."""
    if isinstance(week, str | bytes) or len(week) != 7:
        raise ValueError("A week has 7 days, Monday first.")
    days = []
    for name, hours in zip(DAY_NAMES, week, strict=True):
        try:
            intervals = tuple(tuple(interval) for interval in hours)
        except TypeError:
            raise ValueError(f"{name}: {hours!r} is not a list of (start, end) minutes.") from None
        previous_end = 0
        for interval in intervals:
            if len(interval) != 2 or not all(type(minute) is int for minute in interval):
                raise ValueError(f"{name}: {interval!r} is not a pair of whole minutes.")
            start, end = interval
            if not 0 <= start < end <= DAY_MINUTES:
                raise ValueError(f"{name}: {start}–{end} must satisfy 0 <= start < end <= {DAY_MINUTES}.")
            if start < previous_end:
                raise ValueError(f"{name}: intervals must be sorted and must not overlap.")
            previous_end = end
        days.append(intervals)
    return tuple(days)


def _aware(instant):
    """The instant in UTC truncated to its second; ValueError when it is naive."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("Business time needs aware datetimes, got a naive one.")
    return instant.astimezone(UTC).replace(microsecond=0)


@lru_cache(maxsize=16384)  # clocks of many tickets fall on the same few weeks
def _wall_to_utc(zone, day, minute):
    """The first instant the clock in zone shows minute of day; a skipped wall time gives the instant of the jump."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    first = wall.replace(tzinfo=zone).astimezone(UTC)
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if other >= first:  # the wall time exists once (equal) or twice (fold=1 is the second time)
        return first
    # Skipped: `other` lies before the jump and `first` after it; bisect to the first second with the new offset.
    after = first.astimezone(zone).utcoffset()
    low, high = 0, (first - other) // ONE_SECOND
    while high - low > 1:
        middle = (low + high) // 2
        if (other + middle * ONE_SECOND).astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return other + high * ONE_SECOND


def _intervals(calendar, since, until=None):
    """Working intervals (start, end) in UTC ending after since, in order; stops at until or after SEARCH_DAYS."""
    zone = calendar.zone
    # Earlier dates end by the first instant the clock shows this date's midnight, which is not after since.
    day = since.astimezone(zone).date()
    for searched in count():
        if until is None and searched > SEARCH_DAYS:
            return
        if until is not None and _wall_to_utc(zone, day, 0) >= until:
            return
        for start_minute, end_minute in calendar.hours_on(day):
            start, end = _wall_to_utc(zone, day, start_minute), _wall_to_utc(zone, day, end_minute)
            if end > since and end > start:
                yield start, end
        day += ONE_DAY


def _no_working_time():
    return ValueError("The business calendar has no working time in the next 10 years.")


def add_business_seconds(calendar, start, seconds):
    """The earliest instant (UTC) at which seconds of business time have passed since start."""
    since = _aware(start)
    seconds = operator.index(seconds)  # a float from timedelta.total_seconds() would give fractional due times
    if seconds < 0:
        raise ValueError("Business seconds to add must not be negative.")
    if seconds == 0:
        return start.astimezone(UTC)
    if calendar.is_always:
        return since + seconds * ONE_SECOND
    remaining = seconds
    for interval_start, end in _intervals(calendar, since):
        begin = max(interval_start, since)
        available = (end - begin) // ONE_SECOND
        if remaining <= available:
            return begin + remaining * ONE_SECOND
        remaining -= available
    raise _no_working_time()


def business_seconds_between(calendar, start, end):
    """Working seconds in [start, end); 0 when end is not after start."""
    since, until = _aware(start), _aware(end)
    if until <= since:
        return 0
    if calendar.is_always:
        return (until - since) // ONE_SECOND
    total = timedelta()
    for interval_start, interval_end in _intervals(calendar, since, until):
        total += max(timedelta(), min(interval_end, until) - max(interval_start, since))
    return total // ONE_SECOND


def is_working(calendar, instant):
    """True when the instant falls inside a working interval."""
    since = _aware(instant)
    if calendar.is_always:
        return True
    first = next(_intervals(calendar, since), None)
    return first is not None and first[0] <= since


def next_working_instant(calendar, instant):
    """The instant itself (in UTC) when it is working, else the start of the next working interval."""
    since = _aware(instant)
    if calendar.is_always:
        return instant.astimezone(UTC)
    first = next(_intervals(calendar, since), None)
    if first is None:
        raise _no_working_time()
    return instant.astimezone(UTC) if first[0] <= since else first[0]


def describe(calendar):
    """A short human summary, e.g. "Mon–Fri 09:00–18:00 Asia/Shanghai, 3 holidays", or "24x7"."""
    if calendar.is_always:
        return "24x7"
    groups = {}
    for weekday, hours in enumerate(calendar.week):
        if hours:
            groups.setdefault(hours, []).append(weekday)
    parts = []
    for hours, weekdays in groups.items():
        runs = [[day for _, day in run] for _, run in groupby(enumerate(weekdays), lambda pair: pair[1] - pair[0])]
        days = ",".join(DAY_NAMES[run[0]] + (f"–{DAY_NAMES[run[-1]]}" if len(run) > 1 else "") for run in runs)
        parts.append(f"{days} " + ", ".join(f"{_clock(start)}–{_clock(end)}" for start, end in hours))
    text = "; ".join(parts) + f" {calendar.time_zone}"
    for number, noun in ((len(calendar.holidays), "holiday"), (len(calendar.yearly), "yearly holiday")):
        if number:
            text += f", {number} {noun}{'s' if number > 1 else ''}"
    return text


def _clock(minute):
    return f"{minute // 60:02d}:{minute % 60:02d}"
