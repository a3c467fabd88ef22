"""Reading a scrub document and writing the checked result as JSON, CSV or a terminal report.

Shared by ``manage.py scrub_claims`` and ``POST /api/claims/scrub/`` so both read the same input the
same way and report malformed JSON with the same words.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from .rules.inputs import ScrubInputError

# The columns of the CSV output: the claim, then every field of a finding (scrub-format.md).
FINDING_FIELDS = ("line", "rule", "category", "severity", "message", "hint", "carc", "rarc", "source", "data_release")
CSV_COLUMNS = ("claim_id", "risk", *FINDING_FIELDS)

TEXT_WIDTH = 100


def parse_json(raw: bytes | str) -> Any:
    """The JSON document, or ``ScrubInputError`` saying where the JSON is broken.

    Parsing makes no reference cycles, so the garbage collector is paused meanwhile: its scans of the
    growing document cost a third of the parsing time of a big batch.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except ScrubInputError:
        raise
    except UnicodeDecodeError:
        raise ScrubInputError("the document is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ScrubInputError(
            f"the document is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise ScrubInputError("the document is nested too deeply to read") from None
    except ValueError:  # an integer of more digits than Python reads (sys.get_int_max_str_digits)
        raise ScrubInputError("the document holds a number with too many digits to read") from None
    finally:
        if collecting:
            gc.enable()


def _refuse_constant(name: str) -> Any:
    raise ScrubInputError(f"the document is not valid JSON: {name} is not a JSON number")


# Each format writes a document as: a head, the encoded claims, and a tail. ``encode`` makes one claim's
# chunk and ``combine`` joins consecutive chunks into one: the batch check's worker processes call both,
# so the writing process only copies a few big pieces of text.


_encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder (``json.dumps`` makes one per call)


def encode_json(claim: dict[str, Any]) -> str:
    return _encode(claim)


def combine_json(chunks: list[str]) -> str:
    return ",\n    ".join(chunks)


def write_json_chunks(out: TextIO, chunks: Iterable[str], reference_data: dict[str, Any]) -> None:
    """The document with one claim per line: valid JSON, easy to read and grep, fast for big batches.

    (``json.dumps`` with ``indent`` falls back to the slow pure-Python encoder.)
    """
    out.write('{\n  "claims": [')
    separator = "\n    "
    wrote = False
    for chunk in chunks:
        out.write(separator + chunk)
        separator = ",\n    "
        wrote = True
    out.write("\n  ]" if wrote else "]")
    out.write(f',\n  "reference_data": {json.dumps(reference_data, ensure_ascii=False)}\n}}\n')


def write_json(out: TextIO, claims: Iterable[dict[str, Any]], reference_data: dict[str, Any]) -> None:
    write_json_chunks(out, map(encode_json, claims), reference_data)


def encode_csv(claim: dict[str, Any]) -> str:
    """The claim's rows: one per finding, claim id and risk first. Clean claims have no rows."""
    findings = claim.get("findings", ())
    if not findings:
        return ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for finding in findings:
        row = [claim["id"], claim["risk"]]
        row.extend("" if finding.get(name) is None else finding.get(name) for name in FINDING_FIELDS)
        writer.writerow(row)
    return buffer.getvalue()


def combine_csv(chunks: list[str]) -> str:
    return "".join(chunks)


def write_csv_chunks(out: TextIO, chunks: Iterable[str], reference_data: dict[str, Any]) -> None:
    csv.writer(out, lineterminator="\n").writerow(CSV_COLUMNS)
    for chunk in chunks:
        out.write(chunk)


def write_csv(out: TextIO, claims: Iterable[dict[str, Any]], reference_data: dict[str, Any]) -> None:
    """One row per finding: claim id and risk, then the finding's fields. Clean claims have no rows."""
    write_csv_chunks(out, map(encode_csv, claims), reference_data)


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


def encode_text(claim: dict[str, Any]) -> tuple[dict[str, int], str]:
    """({risk: 1}, the claim's part of the report): the claim-level findings, then each line's findings."""
    lines: list[str] = []
    findings = claim.get("findings", [])
    checks = claim.get("unchecked_checks") or []
    not_run = len(checks) or len(claim.get("unchecked") or ())
    counts = _count(findings) + (f"; {not_run} check{'' if not_run == 1 else 's'} not run" if not_run else "")
    lines.append(f"Claim {claim['id']} · risk {claim['risk'].upper()} · {counts}")
    if checks:
        lines.append("  Not checked:")
        for check in checks:
            where = check.get("lines") or []
            on = f" (line{'s' if len(where) > 1 else ''} {', '.join(map(str, where))})" if where else ""
            lines.extend(_wrapped(f"{check['check']}{on}: {check['reason']} [{check['category']}]", "    "))
    elif claim.get("unchecked"):
        lines.extend(_wrapped("Not checked (reference table not loaded): " + ", ".join(claim["unchecked"]), "  "))
    by_line: dict[Any, list[dict[str, Any]]] = {}
    for finding in findings:
        by_line.setdefault(finding["line"], []).append(finding)
    for line_no, items in by_line.items():
        lines.append("  Claim level" if line_no is None else f"  Line {line_no}")
        for finding in items:
            lines.extend(_finding_lines(finding))
    lines.append("")
    return {claim["risk"]: 1}, "\n".join(lines) + "\n"


def combine_text(chunks: list[tuple[dict[str, int], str]]) -> tuple[dict[str, int], str]:
    risks: Counter[str] = Counter()
    for counts, _ in chunks:
        risks.update(counts)
    return dict(risks), "".join(text for _, text in chunks)


def write_text_chunks(
    out: TextIO, chunks: Iterable[tuple[dict[str, int], str]], reference_data: dict[str, Any]
) -> None:
    risks: Counter[str] = Counter()
    for counts, text in chunks:
        risks.update(counts)
        out.write(text)
    tail = ["Reference data used:" if reference_data else "Reference data: none loaded"]
    tail.extend(f"  {key}: {label}" for key, label in reference_data.items())
    total = sum(risks.values())
    summary = ", ".join(f"{risks[risk]} {risk}" for risk in ("high", "medium", "low", "none"))
    tail.append(f"{total} claim{'' if total == 1 else 's'} checked. Risk: {summary}.")
    out.write("\n".join(tail) + "\n")


def write_text(out: TextIO, claims: Iterable[dict[str, Any]], reference_data: dict[str, Any]) -> None:
    """A report for a terminal: per claim, the claim-level findings, then each line's findings."""
    write_text_chunks(out, map(encode_text, claims), reference_data)


WRITERS: dict[str, Callable[[TextIO, Iterable[dict[str, Any]], dict[str, Any]], None]] = {
    "json": write_json,
    "csv": write_csv,
    "text": write_text,
}


@dataclass(frozen=True)
class OutputFormat:
    """A format in parts: ``encode`` one claim's result and ``combine`` consecutive encoded claims (in any
    process), ``write`` the encoded claims between the document's head and tail."""

    encode: Callable[[dict[str, Any]], Any]
    combine: Callable[[list[Any]], Any]
    write: Callable[[TextIO, Iterable[Any], dict[str, Any]], None]


FORMATS: dict[str, OutputFormat] = {
    "json": OutputFormat(encode_json, combine_json, write_json_chunks),
    "csv": OutputFormat(encode_csv, combine_csv, write_csv_chunks),
    "text": OutputFormat(encode_text, combine_text, write_text_chunks),
}


def render(document: dict[str, Any], output_format: str = "json") -> str:
    """A whole output document as text in one of the formats."""
    buffer = io.StringIO()
    WRITERS[output_format](buffer, document.get("claims", ()), document.get("reference_data") or {})
    return buffer.getvalue()


def render_text(document: dict[str, Any]) -> str:
    return render(document, "text")
