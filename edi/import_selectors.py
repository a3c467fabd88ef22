"""Reads of the 837P import pages: the imported files, and one file's claims by risk and findings by rule (the
claims as they are now: a claim fixed after the import shows its new risk)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from claims.choices import Risk
from claims.models import ClaimFinding

from .models import ImportedClaim, ImportedFile

IMPORT_CLAIMS = "edi.import_claims"


def imported_files() -> QuerySet[ImportedFile]:
    return ImportedFile.objects.select_related("imported_by", "batch").annotate(imported=Count("imported_claims"))


def imported_claims(imported: ImportedFile) -> QuerySet[ImportedClaim]:
    return (
        imported.imported_claims.select_related("claim")
        .annotate(finding_count=Count("claim__findings"))
        .order_by("position")
    )


def import_risk_counts(imported: ImportedFile) -> list[tuple[str, str, int]]:
    """(risk, label, claims) for every risk level, highest first."""
    counts = dict(
        imported.imported_claims.values_list("claim__risk").annotate(n=Count("pk")).values_list("claim__risk", "n")
    )
    return [(value, label, counts.get(value, 0)) for value, label in reversed(Risk.choices)]


def import_rule_counts(imported: ImportedFile) -> list[dict]:
    """Findings by rule: rule id, findings and claims, most findings first."""
    return list(
        ClaimFinding.objects.filter(claim__import_source__imported_file=imported)
        .values("rule")
        .annotate(findings=Count("pk"), claims=Count("claim", distinct=True))
        .order_by("-findings", "rule")
    )


def import_warnings(imported: ImportedFile) -> list[str]:
    """What the claims could not hold as read, claim by claim, then the file's own (providers not added)."""
    rows = imported.imported_claims.order_by("position").values_list("warnings", flat=True)
    return [warning for row in rows for warning in row] + list(imported.created_records.get("warnings", []))
