"""schemathesis hooks for tests/schemathesis.rs.

The reports that take a period answer 400 `invalid_period` when `from` is after `to`: a rule
between two parameters, which OpenAPI cannot state. Requests with such a period are dropped,
so that schemathesis does not count that (described) 400 as a valid request refused. So are
notices whose last day (`expires_on`) is before today or more than two years ahead (400
`expired`, `invalid_expires_on`): a rule about today's date. The
server's own reading of the period is followed: an empty or missing `to` is today (Vietnam's
time), an empty or missing `from` the first day of `to`'s month, and days are counted from
2020-01-01 for 65,535 days (earlier and later dates are clamped).
"""

import datetime
import re

import schemathesis

PERIOD_REPORTS = {
    "/api/v1/reports/usage",
    "/api/v1/reports/usage.json",
    "/api/v1/reports/usage.csv",
    "/api/v1/reports/usage.xlsx",
    "/api/v1/reports/members",
    "/api/v1/reports/trend",
    "/api/v1/reports/feedback",
}
FIRST = datetime.date(2020, 1, 1)
LAST = FIRST + datetime.timedelta(days=65535)
VN = datetime.timezone(datetime.timedelta(hours=7))


def _day(value):
    """The clamped date of a YYYY-MM-DD value, None for an empty one, False if not a date."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        return False
    try:
        d = datetime.date.fromisoformat(value.strip())
    except ValueError:
        return False
    return min(max(d, FIRST), LAST)


def _notice_day_ok(case):
    """False for a notice whose last day is a date the server refuses for being past or far."""
    if not isinstance(case.body, dict):
        return True
    value = case.body.get("expires_on")
    if not isinstance(value, str) or not re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        return True
    try:
        d = datetime.date.fromisoformat(value.strip())
    except ValueError:
        return True
    today = datetime.datetime.now(VN).date()
    return today <= d <= today + datetime.timedelta(days=2 * 366)


@schemathesis.hook
def filter_case(context, case):
    if case.path == "/api/v1/notices" and case.method.upper() == "POST":
        return _notice_day_ok(case)
    if case.path not in PERIOD_REPORTS or not isinstance(case.query, dict):
        return True
    to, start = _day(case.query.get("to")), _day(case.query.get("from"))
    if to is False or start is False:
        return True  # an invalid date: its 400 is the described one
    if to is None:
        to = min(max(datetime.datetime.now(VN).date(), FIRST), LAST)
    if start is None:
        start = to.replace(day=1)
    return start <= to
