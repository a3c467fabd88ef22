"""Logging filters that keep patient data out of the logs (see ``LOGGING`` in settings)."""

from __future__ import annotations

import logging


class DropTemplateContext(logging.Filter):
    """Drop ``django.template``'s DEBUG records: each "Exception while resolving variable" record carries the
    whole template context (claims, patients, what was typed) in its traceback, so at DEBUG a claim's page
    would write the patient's name and date of birth to the log. Warnings and errors pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG
