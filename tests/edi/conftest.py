"""Helpers of the edi tests: the shared 837P samples and pyx12's validation of a text."""

import io
import json
import logging

import pytest

from tests.conftest import SHARED_DATA, shared_file

SAMPLES = "x12_837p"
# Names known at collection time; when ../shared is absent one placeholder makes each test skip with the reason.
NO_SAMPLES = "(no 837P samples)"
SAMPLE_NAMES = sorted(path.name for path in (SHARED_DATA / SAMPLES).glob("*.837")) or [NO_SAMPLES]


def sample_path(name: str):
    if name == NO_SAMPLES:
        pytest.skip(f"837P samples not available: {SHARED_DATA / SAMPLES} is absent (a user's clone)")
    return shared_file(f"{SAMPLES}/{name}")


def sample_text(name: str) -> str:
    return sample_path(name).read_text(encoding="latin-1")


def pyx12_findings(text: str) -> tuple[bool, list[str]]:
    """Validate an interchange with pyx12 against its map (005010X222A1 for 837P).

    Returns pyx12's verdict and every error it recorded, read from its JSON error report (the
    visitor walks the same error tree the 999 is generated from): "<seg_id>: <message>".
    """
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)  # errors are read from the report, not the log
    report = io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=io.StringIO(text), fd_997=None, fd_html=None, fd_json=report
    )
    return valid, _errors(json.loads(report.getvalue()))


def _errors(node, seg_id: str = "") -> list[str]:
    found = []
    if isinstance(node, dict):
        seg_id = node.get("seg_id") or seg_id
        for error in node.get("errors", []):
            found.append(f"{seg_id or 'envelope'}: {error['err_str']}")
        for key, value in node.items():
            if key != "errors" and isinstance(value, (list, dict)):
                found.extend(_errors(value, seg_id))
    elif isinstance(node, list):
        for item in node:
            found.extend(_errors(item, seg_id))
    return found


@pytest.fixture
def pyx12_validate():
    return pyx12_findings
