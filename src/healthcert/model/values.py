"""Two of the canonical model's rules, written without pydantic: a date of birth and a country
code. The model's validators use them, and so do the direct mappings of EU DCCs and SMART
Health Cards, which test a value before writing it as the model would have kept it: one rule
each, so the three cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re

# Two capital letters (the shape of ISO 3166-1 alpha-2): a set lookup, where a regular
# expression would bring its engine into every certificate's path.
COUNTRY_CODES = frozenset(chr(a) + chr(b) for a in range(65, 91) for b in range(65, 91))

# The DCC allows a partial date of birth (year, or year and month) or none at all.
DATE_OF_BIRTH = re.compile(r"(?:(?:19|20)\d\d(?:-\d\d(?:-\d\d)?)?)?", re.ASCII)
_FIRST_DAY = {0: "2000-01-01", 4: "-01-01", 7: "-01", 10: ""}
_CENTURIES = ("19", "20")


def has_first_day(birth: str) -> bool:
    """Whether a date of birth of DATE_OF_BIRTH's shape names a day that exists (a partial
    date: its first day)."""
    try:
        dt.date.fromisoformat(birth + _FIRST_DAY[len(birth)])
    except ValueError:
        return False
    return True


def is_date_of_birth(birth: str) -> bool:
    """Empty, YYYY, YYYY-MM or YYYY-MM-DD, in 1900-2099, a calendar date."""
    if len(birth) == 10 and birth[4] == "-" == birth[7] and birth[:2] in _CENTURIES:
        # The usual full date, without the regular expression: fromisoformat checks the
        # digits and the day.
        return has_first_day(birth)
    return DATE_OF_BIRTH.fullmatch(birth) is not None and has_first_day(birth)
