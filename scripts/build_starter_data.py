#!/usr/bin/env python
"""Regenerate the CMS-derived starter files in codes/starter/ for ClaimDesk's own code list.

A maintainer script, not run by ``make run``: the generated CSVs are committed. It reads the real
CMS files in ../shared/data (or $CLAIMDESK_SHARED_DATA) and writes only the rows and columns the
starter data set needs, for the codes listed in codes/starter/code_list.csv (ours, with our own
plain-language labels) and the modifiers in codes/starter/modifier_list.csv.

    .venv/bin/python scripts/build_starter_data.py [--shared PATH]

Written (all UTF-8 CSV, ISO dates):
    procedure_codes.csv  modifiers.csv  places_of_service.csv  fee_schedule.csv  ptp_practitioner.csv
    mue_practitioner.csv  mue_outpatient_hospital.csv  mue_dme.csv  addon_edits.csv  asp_limits.csv
    ndc_crosswalk.csv

CPT codes get nothing but their number, our label and flags (add-on, unlisted, drug): never a CPT
descriptor. HCPCS Level II codes carry the CMS descriptors, dates and indicators (public domain).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "codes" / "starter"
OUT = STARTER  # where the generated files go (--out)
sys.path.insert(0, str(ROOT))

HCPCS_CSV = "hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.csv"
HCPCS_TXT = "hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.txt"
HCPCS_MODIFIERS = "modifiers/hcpcs_level2_modifiers_2026jan.csv"
NCCI_MODIFIERS = "modifiers/ncci_ptp_associated_modifiers.csv"
POS = "place_of_service/pos_codes_2024-06.csv"
RVU = "pfs_rvu/PPRRVU25_JAN_no_descriptors.csv"
PTP_HEAD = "ncci_ptp/ccipra-v322r0-f1_head.txt"
PTP_PAIRS = "ncci_ptp/ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz"
MUE = {
    "mue_practitioner.csv": "ncci_mue/MCR_MUE_PractitionerServices_Eff_04-01-2026.csv",
    "mue_outpatient_hospital.csv": "ncci_mue/MCR_MUE_OutpatientHospitalServices_Eff_04-01-2026.csv",
    "mue_dme.csv": "ncci_mue/MCR_MUE_DMESupplierServices_Eff_04-01-2026.csv",
}
AOC = "ncci_aoc/AOC_V2026Q2-MCR.csv"
ASP = "asp/ASP_Jan2026_payment_limits_CPTdesc_removed.csv"
NDC = "asp/ASP_Jan2026_NDC_HCPCS_crosswalk_CPTdesc_removed.csv"

# PTP edits deleted before this date cannot touch a claim still within Medicare's 12-month filing
# limit; leaving them out keeps the starter directory under 1 MB.
PTP_KEEP_DELETED_FROM = "2023-01-01"

FACILITY_TYPES = {"Facility": "facility", "Non-Facility": "non_facility", "Unassigned": "unassigned"}


def iso_yyyymmdd(value: str) -> str:
    value = (value or "").strip()
    if not value or value == "*":
        return ""
    return datetime.strptime(value, "%Y%m%d").date().isoformat()


def iso_julian(value: str) -> str:
    value = (value or "").strip()
    return datetime.strptime(value, "%Y%j").date().isoformat() if value else ""


def decimal_text(value: str) -> str:
    value = (value or "").strip().replace(",", "")
    if not value:
        return ""
    try:
        return str(Decimal(value).normalize()) if "E" not in str(Decimal(value).normalize()) else value
    except InvalidOperation:
        return ""


def write_csv(name: str, header: list[str], rows: list[list]) -> None:
    path = OUT / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {name}: {len(rows)} rows, {path.stat().st_size:,} bytes")


def rows_after_preamble(text: str, first_cell: str) -> list[list[str]]:
    """CSV rows after the header row whose first cell is ``first_cell`` (CMS files open with notices)."""
    rows = list(csv.reader(io.StringIO(text)))
    for index, row in enumerate(rows):
        if row and row[0].strip() == first_cell:
            return [r for r in rows[index + 1 :] if r and r[0].strip()]
    raise SystemExit(f"header starting with {first_cell!r} not found")


# --- drug facts ------------------------------------------------------------------------------------
def drug_parsers():
    """The HCPCS importer's descriptor parsers when present, else small local fallbacks."""
    try:
        from codes.importers.descriptors import is_noc, parse_drug_dose, parse_drug_route

        return parse_drug_dose, parse_drug_route, is_noc
    except ImportError:  # pragma: no cover - the importer module is part of the tree
        dose = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|mcg|ml|units?|g)\b", re.IGNORECASE)

        def parse_drug_dose(text):
            match = dose.search(text or "")
            return (Decimal(match.group(1)), match.group(2).lower().rstrip("s")) if match else None

        def parse_drug_route(text):
            lowered = (text or "").lower()
            return "oral" if "oral" in lowered else "injection" if lowered.startswith("injection") else ""

        def is_noc(text):
            return bool(re.search(r"\b(nos|noc|unclassified|not otherwise)\b", text or "", re.IGNORECASE))

        return parse_drug_dose, parse_drug_route, is_noc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=STARTER, help="Where to write (default: codes/starter).")
    args = parser.parse_args(argv)
    global OUT
    OUT = args.out
    OUT.mkdir(parents=True, exist_ok=True)
    shared: Path = args.shared
    if not shared.is_dir():
        raise SystemExit(f"{shared} is not a directory: point --shared at the CMS data folder")

    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
    django.setup()
    from codes.classify import classify, looks_unlisted

    try:
        from codes.importers.hcpcs import drug_facts as hcpcs_drug_facts
    except ImportError:  # pragma: no cover - the HCPCS importer is part of the tree
        hcpcs_drug_facts = None
    parse_drug_dose, parse_drug_route, is_noc = drug_parsers()

    code_list = list(csv.DictReader((STARTER / "code_list.csv").open(encoding="utf-8")))
    labels = {row["code"].strip().upper(): row["label"].strip() for row in code_list}
    for code in labels:
        if not classify(code):
            raise SystemExit(f"code_list.csv: {classify(code).reason}")
    codes = set(labels)

    # --- ASP (needed for the drug flag) -------------------------------------------------------------
    asp_text = (shared / ASP).read_text(encoding="utf-8-sig", errors="strict")
    asp_rows = [r for r in rows_after_preamble(asp_text, "HCPCS Code") if r[0].strip() in codes]
    asp_codes = {r[0].strip() for r in asp_rows}

    # --- add-on edits (needed for the add-on flag) ---------------------------------------------------
    aoc_rows = [r for r in csv.DictReader((shared / AOC).open(encoding="utf-8-sig")) if r["Add-On_Code"] in codes]
    add_on_codes = {r["Add-On_Code"] for r in aoc_rows}

    # --- procedure codes ----------------------------------------------------------------------------
    hcpcs = {}
    for row in csv.DictReader((shared / HCPCS_CSV).open(encoding="utf-8-sig")):
        hcpcs[row["HCPC"].strip()] = row
    action_dates = {}  # the .txt has the action effective date where the xlsx export lost it
    for line in (shared / HCPCS_TXT).read_text(encoding="ascii").splitlines():
        if len(line) >= 293 and line[10] == "3":
            action_dates[line[0:5].strip()] = line[276:284].strip()
    out = []
    for code in sorted(codes):
        result = classify(code)
        label = labels[code]
        if result.system == "CPT":
            out.append(
                [code, label, "", "", "", "", "", "", "", "", "", ""]
                + [int(code in add_on_codes), int(looks_unlisted(code)), int(code in asp_codes), "", "", ""]
            )
            continue
        row = hcpcs.get(code)
        if row is None:
            raise SystemExit(f"{code} is not in the January 2026 HCPCS file")
        long_text = row["LONG DESCRIPTION"].strip()
        pricing = "".join(row[f"PRICE{i}"].strip() for i in range(1, 5))
        tos = "".join(row[f"TOS{i}"].strip() for i in range(1, 6))
        if hcpcs_drug_facts is not None:  # the same rule as the HCPCS importer, so a real import agrees
            facts = hcpcs_drug_facts(code, long_text)
            is_drug = facts["is_drug"] or code in asp_codes
            dose = (facts["drug_dose_amount"], facts["drug_dose_unit"]) if facts["drug_dose_unit"] else None
            route = facts["drug_route"]
            if is_drug and dose is None:
                dose = parse_drug_dose(long_text)
        else:
            is_drug = code in asp_codes or result.section_letter == "J" or long_text.lower().startswith("injection")
            dose = parse_drug_dose(long_text) if is_drug else None
            route = parse_drug_route(long_text) if is_drug else ""
        out.append(
            [
                code,
                label,
                row["SHORT DESCRIPTION"].strip(),
                long_text,
                iso_yyyymmdd(row["ADD DT"]),
                iso_yyyymmdd(row["ACT EFF DT"] or action_dates.get(code, "")),
                iso_yyyymmdd(row["TERM DT"]),
                row["ACTION CD"].strip(),
                row["COV"].strip(),
                pricing,
                row["BETOS"].strip(),
                tos,
                int(code in add_on_codes),
                int(is_noc(long_text)),
                int(is_drug),
                str(dose[0]) if dose else "",
                dose[1] if dose else "",
                str(route),
            ]
        )
    write_csv(
        "procedure_codes.csv",
        [
            "code",
            "label",
            "short_description",
            "long_description",
            "added_date",
            "action_effective_date",
            "termination_date",
            "action_code",
            "coverage_code",
            "pricing_indicators",
            "betos",
            "type_of_service",
            "is_add_on",
            "is_unlisted",
            "is_drug",
            "drug_dose_amount",
            "drug_dose_unit",
            "drug_route",
        ],
        out,
    )

    # --- modifiers ----------------------------------------------------------------------------------
    cms_mods = {r["modifier"]: r for r in csv.DictReader((shared / HCPCS_MODIFIERS).open(encoding="utf-8-sig"))}
    ncci = {r["modifier"]: r["ncci_category"] for r in csv.DictReader((shared / NCCI_MODIFIERS).open())}
    wanted = list(csv.DictReader((STARTER / "modifier_list.csv").open(encoding="utf-8")))
    missing = set(ncci) - {m["code"] for m in wanted}
    if missing:
        raise SystemExit(f"modifier_list.csv lacks NCCI-associated modifiers {sorted(missing)}")
    out = []
    for item in sorted(wanted, key=lambda m: m["code"]):
        code, ours = item["code"], item["description"].strip()
        kind = "cpt" if code.isdigit() else "hcpcs"
        cms = cms_mods.get(code) if kind == "hcpcs" else None
        if cms is None and not ours:
            raise SystemExit(f"modifier {code}: no CMS text and no description of ours")
        if cms is not None and not ours:
            out.append(
                [
                    code,
                    kind,
                    ncci.get(code, ""),
                    cms["short_description"].strip(),
                    cms["long_description"].strip(),
                    iso_yyyymmdd(cms["added_date"]),
                    iso_yyyymmdd(cms["termination_date"]),
                ]
            )
        else:
            out.append([code, kind, ncci.get(code, ""), ours[:100], ours, "", ""])
    write_csv(
        "modifiers.csv",
        ["code", "kind", "ncci_group", "short_description", "description", "effective_date", "termination_date"],
        out,
    )

    # --- places of service --------------------------------------------------------------------------
    out = [
        [r["pos_code"], r["pos_name"].strip(), r["pos_description"].strip(), FACILITY_TYPES[r["pos_type"]]]
        for r in csv.DictReader((shared / POS).open(encoding="utf-8-sig"))
    ]
    write_csv("places_of_service.csv", ["code", "name", "description", "facility_type"], out)

    # --- fee-schedule indicators --------------------------------------------------------------------
    out = []
    for r in csv.DictReader((shared / RVU).open(encoding="utf-8-sig")):
        if r["HCPCS"] in codes:
            out.append(
                [
                    r["HCPCS"],
                    r["MOD"].strip(),
                    r["STATUS CODE"].strip(),
                    int(bool(r["NOT USED FOR MEDICARE PAYMENT"].strip())),
                    r["PCTC IND"].strip(),
                    r["GLOB DAYS"].strip(),
                    r["MULT PROC"].strip(),
                    r["BILAT SURG"].strip(),
                    r["ASST SURG"].strip(),
                    r["CO- SURG"].strip(),
                    r["TEAM SURG"].strip(),
                ]
            )
    write_csv(
        "fee_schedule.csv",
        [
            "code",
            "modifier",
            "status",
            "not_used_for_medicare",
            "pctc_indicator",
            "global_days",
            "multiple_procedure",
            "bilateral_surgery",
            "assistant_surgery",
            "co_surgery",
            "team_surgery",
        ],
        sorted(out),
    )

    # --- PTP: v32.2 head rows (with effective dates), then v30.1 pairs for other column 1 codes -------
    head_lines = (shared / PTP_HEAD).read_text(encoding="utf-8").splitlines()[6:]
    head = [line.split("\t") for line in head_lines if line.strip()]
    head_column_1 = [r[0] for r in head]
    # The head file is cut after 160 lines: only its column 1 codes before the last are complete.
    complete = set(head_column_1) - {head_column_1[-1]}
    out = []
    for r in head:
        if r[0] in codes and r[1] in codes:
            out.append([r[0], r[1], int(r[2].strip() == "*"), iso_yyyymmdd(r[3]), iso_yyyymmdd(r[4]), r[5], r[6]])
    with gzip.open(shared / PTP_PAIRS, "rt", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            c1, c2 = r["column_1"], r["column_2"]
            if c1 in codes and c2 in codes and c1 not in complete:
                out.append(
                    [c1, c2, 0, "", iso_yyyymmdd(r["deletion_date"]), r["modifier_indicator"], r["ptp_edit_rationale"]]
                )
    out = [row for row in out if not row[4] or row[4] >= PTP_KEEP_DELETED_FROM]
    write_csv(
        "ptp_practitioner.csv",
        [
            "column_1",
            "column_2",
            "in_existence_prior_1996",
            "effective_date",
            "deletion_date",
            "modifier_indicator",
            "rationale",
        ],
        sorted(out),
    )

    # --- MUE ----------------------------------------------------------------------------------------
    for name, relative in MUE.items():
        text = (shared / relative).read_text(encoding="cp1252")
        rows = list(csv.reader(io.StringIO(text)))[2:]
        out = [[r[0].strip(), r[1].strip(), r[2].strip()[:1], r[3].strip()] for r in rows if r and r[0] in codes]
        write_csv(name, ["code", "value", "adjudication_indicator", "rationale"], sorted(out))

    # --- add-on edits -------------------------------------------------------------------------------
    out = [
        [
            r["Add-On_Code"],
            r["Primary_Code"],
            r["AOC_Edit_Type"],
            iso_julian(r["AOC_DelDT"]),
            iso_julian(r["Primary_Code_DelDT"]),
            iso_julian(r["AOC_Edit_EffDT"]),
            iso_julian(r["AOC_Edit_DelDT"]),
            r["Special_Instruction_Notes"].strip(),
        ]
        for r in aoc_rows
    ]
    write_csv(
        "addon_edits.csv",
        [
            "add_on_code",
            "primary_code",
            "edit_type",
            "add_on_deletion_date",
            "primary_deletion_date",
            "effective_date",
            "deletion_date",
            "notes",
        ],
        sorted(out),
    )

    # --- ASP limits and NDC crosswalk ---------------------------------------------------------------
    out = []
    for r in asp_rows:
        dose = parse_drug_dose(r[2]) or ("", "")
        out.append([r[0].strip(), r[2].strip(), str(dose[0]), dose[1], decimal_text(r[3]), decimal_text(r[4])])
    write_csv(
        "asp_limits.csv",
        ["code", "dosage", "dosage_amount", "dosage_unit", "payment_limit", "coinsurance_percent"],
        sorted(out),
    )
    ndc_text = (shared / NDC).read_text(encoding="utf-8-sig")
    out = []
    for r in rows_after_preamble(ndc_text, "_2026_CODE"):
        if r[0].strip() in codes:
            ndc = r[3].strip().replace("-", "")
            if len(ndc) != 11 or not ndc.isdigit():
                raise SystemExit(f"crosswalk: NDC {r[3]!r} is not 5-4-2")
            out.append(
                [ndc, r[0].strip(), r[2].strip(), r[4].strip(), r[5].strip()] + [decimal_text(v) for v in r[6:10]]
            )
    write_csv(
        "ndc_crosswalk.csv",
        [
            "ndc",
            "code",
            "labeler",
            "drug_name",
            "hcpcs_dosage",
            "package_size",
            "package_quantity",
            "billing_units",
            "billing_units_per_package",
        ],
        sorted(out, key=lambda row: (row[1], row[0])),
    )


if __name__ == "__main__":
    main()
