"""Date-range rules shared by the models and the selectors."""

from datetime import date


def applies_between(dos: date, start: date | None, end: date | None, *, end_exclusive: bool) -> bool:
    """Whether a row dated [start, end] applies on ``dos``; a missing date is open-ended.

    PTP deletion dates are exclusive (the edit no longer applies on that date; rules catalogue §3.3).
    HCPCS termination dates and add-on edit deletion dates are the last day the row applies
    (J1030 terminated 2024-03-31, its successor J1010 added 2024-04-01).
    """
    if start and dos < start:
        return False
    if end is None:
        return True
    return dos < end if end_exclusive else dos <= end
