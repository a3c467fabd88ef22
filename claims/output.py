"""Reading a scrub document and writing the checked result as JSON, CSV or a terminal report.

Shared by ``manage.py scrub_claims`` and ``POST /api/claims/scrub/`` so both read the same input the
same way and report malformed JSON with the same words.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from .rules.inputs import ScrubInputError

# The columns of the CSV output: the claim, then every field of a finding (scrub-format.md).
FINDING_FIELDS = ("line", "rule", "category", "severity", "message", "hint", "carc", "rarc", "source", "data_release")
CSV_COLUMNS = ("claim_id", "risk", *FINDING_FIELDS)

TEXT_WIDTH = 100


def parse_json(raw: bytes | str) -> Any:
    """The JSON document, or ``ScrubInputError`` saying where the JSON is broken."""
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ScrubInputError("the document is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ScrubInputError(
            f"the document is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise ScrubInputError("the document is nested too deeply to read") from None


def write_json(out: TextIO, claims: Iterable[dict[str, Any]], reference_data: dict[str, Any]) -> None:
    """The document with one claim per line: valid JSON, easy to read and grep, fast for big batches.

    (``json.dumps`` with ``indent`` falls back to the slow pure-Python encoder.)
    """
    out.write('{\n  "claims": [')
    separator = "\n    "
    wrote = False
    for claim in claims:
        out.write(separator + json.dumps(claim, ensure_ascii=False))
        separator = ",\n    "
        wrote = True
    out.write("\n  ]" if wrote else "]")
    out.write(f',\n  "reference_data": {json.dumps(reference_data, ensure_ascii=False)}\n}}\n')


def write_csv(out: TextIO, claims: Iterable[dict[str, Any]], reference_data: dict[str, Any]) -> None:
    """One row per finding: claim id and risk, then the finding's fields. Clean claims have no rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for claim in claims:
        for finding in claim.get("findings", ()):
            row = [claim["id"], claim["risk"]]
            row.extend("" if finding.get(name) is None else finding.get(name) for name in FINDING_FIELDS)
            writer.writerow(row)


def _wrapped(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=TEXT_WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]


def _finding_lines(finding: dict[str, Any]) -> list[str]:
    head = f"    {finding['severity']:<8} {finding['rule']}  ({finding['category']})"
    out = [head]
    out.extend(_wrapped(finding["message"], "             "))
    if finding.get("hint"):
        out.extend(_wrapped(f"Fix: {finding['hint']}", "             "))
    codes = [
        f"CARC {finding['carc']}" if finding.get("carc") else "",
        f"RARC {finding['rarc']}" if finding.get("rarc") else "",
    ]
    if finding.get("data_release"):
        codes.append(f"data: {finding['data_release']}")
    codes = [part for part in codes if part]
    if codes:
        out.append("             " + " · ".join(codes))
    return out


def _count(findings: list[dict[str, Any]]) -> str:
    counts = Counter(f["severity"] for f in findings)
    parts = []
    for severity, word in (("ERROR", "error"), ("WARNING", "warning"), ("INFO", "note")):
        if counts[severity]:
            parts.append(f"{counts[severity]} {word}{'' if counts[severity] == 1 else 's'}")
    return ", ".join(parts) or "no findings"


def write_text(out: TextIO, claims: Iterable[dict[str, Any]], reference_data: dict[str, Any]) -> None:
    """A report for a terminal: per claim, the claim-level findings, then each line's findings."""
    risks: Counter[str] = Counter()
    for claim in claims:
        lines: list[str] = []
        findings = claim.get("findings", [])
        risks[claim["risk"]] += 1
        lines.append(f"Claim {claim['id']} · risk {claim['risk'].upper()} · {_count(findings)}")
        if claim.get("unchecked"):
            lines.extend(_wrapped("Not checked (reference table not loaded): " + ", ".join(claim["unchecked"]), "  "))
        by_line: dict[Any, list[dict[str, Any]]] = {}
        for finding in findings:
            by_line.setdefault(finding["line"], []).append(finding)
        for line_no, items in by_line.items():
            lines.append("  Claim level" if line_no is None else f"  Line {line_no}")
            for finding in items:
                lines.extend(_finding_lines(finding))
        lines.append("")
        out.write("\n".join(lines) + "\n")
    tail = ["Reference data used:" if reference_data else "Reference data: none loaded"]
    tail.extend(f"  {key}: {label}" for key, label in reference_data.items())
    total = sum(risks.values())
    summary = ", ".join(f"{risks[risk]} {risk}" for risk in ("high", "medium", "low", "none"))
    tail.append(f"{total} claim{'' if total == 1 else 's'} checked. Risk: {summary}.")
    out.write("\n".join(tail) + "\n")


WRITERS: dict[str, Callable[[TextIO, Iterable[dict[str, Any]], dict[str, Any]], None]] = {
    "json": write_json,
    "csv": write_csv,
    "text": write_text,
}


def render(document: dict[str, Any], output_format: str = "json") -> str:
    """A whole output document as text in one of the formats."""
    buffer = io.StringIO()
    WRITERS[output_format](buffer, document.get("claims", ()), document.get("reference_data") or {})
    return buffer.getvalue()


def render_json(document: dict[str, Any]) -> str:
    return render(document, "json")


def render_csv(document: dict[str, Any]) -> str:
    return render(document, "csv")


def render_text(document: dict[str, Any]) -> str:
    return render(document, "text")


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "json": render_json,
    "csv": render_csv,
    "text": render_text,
}
