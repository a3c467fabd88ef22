"""Template filters for findings and risk: labels, icons and colours, never colour alone."""

from __future__ import annotations

from django import template

from ..choices import Category, ClaimStatus, Risk, Severity

register = template.Library()

SEVERITY_STYLE = {
    Severity.ERROR: ("danger", "bi-x-octagon-fill", "Error"),
    Severity.WARNING: ("warning", "bi-exclamation-triangle-fill", "Warning"),
    Severity.INFO: ("info", "bi-info-circle-fill", "Info"),
}
RISK_STYLE = {
    Risk.NONE: ("success", "bi-check-circle-fill", "No risk found"),
    Risk.LOW: ("info", "bi-info-circle-fill", "Low risk"),
    Risk.MEDIUM: ("warning", "bi-exclamation-triangle-fill", "Medium risk"),
    Risk.HIGH: ("danger", "bi-x-octagon-fill", "High risk"),
    "": ("secondary", "bi-question-circle", "Not checked"),
}
STATUS_STYLE = {
    ClaimStatus.DRAFT: ("secondary", "bi-pencil"),
    ClaimStatus.CHECKED: ("info", "bi-search"),
    ClaimStatus.READY: ("success", "bi-send-check"),
    ClaimStatus.FLAGGED: ("warning", "bi-flag-fill"),
    ClaimStatus.REVIEWED: ("primary", "bi-person-check"),
    ClaimStatus.SENT: ("success", "bi-envelope-check"),
    ClaimStatus.VOIDED: ("dark", "bi-slash-circle"),
}
CATEGORY_LABELS = dict(Category.choices)


@register.filter
def category_label(value: str) -> str:
    return CATEGORY_LABELS.get(value, value)


@register.filter
def severity_colour(value: str) -> str:
    return SEVERITY_STYLE.get(value, SEVERITY_STYLE[Severity.INFO])[0]


@register.filter
def severity_icon(value: str) -> str:
    return SEVERITY_STYLE.get(value, SEVERITY_STYLE[Severity.INFO])[1]


@register.filter
def severity_label(value: str) -> str:
    return SEVERITY_STYLE.get(value, SEVERITY_STYLE[Severity.INFO])[2]


@register.filter
def risk_colour(value: str) -> str:
    return RISK_STYLE.get(value or "", RISK_STYLE[""])[0]


@register.filter
def risk_icon(value: str) -> str:
    return RISK_STYLE.get(value or "", RISK_STYLE[""])[1]


@register.filter
def risk_label(value: str) -> str:
    return RISK_STYLE.get(value or "", RISK_STYLE[""])[2]


@register.filter
def status_colour(value: str) -> str:
    return STATUS_STYLE.get(value, ("secondary", ""))[0]


@register.filter
def status_icon(value: str) -> str:
    return STATUS_STYLE.get(value, ("secondary", "bi-circle"))[1]
