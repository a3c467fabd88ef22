"""Generate realistic professional claims (scrub format) from the real CMS files, deterministically.

Codes come from the files the benchmark loads (../shared/data): office and hospital E/M visits,
procedures and diagnostic tests with PFS status A, labs (status X), injectable drugs (HCPCS J-codes
with an MUE and no termination date) with their administration code, add-on codes with one of their
type-1 primaries, and real PTP pairs (both codes on the claim, often without a bypass modifier).
The batch's code universe is about 2,000 codes (1,500 procedures, 300 labs, the E/M, drug and
add-on codes), drawn with a skew (a few codes are billed very often). Each claim has 1-20 lines
(uniform), 1-4 diagnoses, realistic modifiers (25 on a same-day E/M, XS on some bypassed pairs,
RT/LT on bilateral-capable codes, 26 on some diagnostic tests, JZ on Medicare drug lines) and units
(drugs up to their MUE), a payer of each type (Medicare 50 %, commercial 35 %, Medicaid 15 %),
and a date of service in 2025 (the RVU25 fee schedule year).

Two mixes of codes (``--mix``):

* ``common`` (default): the code universe of one billing team, about 2,000 codes drawn with a skew;
* ``diverse``: a billing service with many specialties, procedures drawn uniformly from the whole
  universe of codes in the PTP, MUE and RVU files (about 12,000 distinct codes in 20,000 claims),
  with the PTP pairs, labs and add-ons of that universe; claims are realistic otherwise (same sizes,
  modifiers, units, payers, dates).

``write_repeated(path, count, claims)`` writes a big document (e.g. a million claims) as it goes, from
a smaller list of claims repeated under new ids, for the streaming memory check.

Run: ``.venv/bin/python bench/make_claims.py OUT.json [--claims 20000] [--seed 20260501] [--mix diverse]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CLAIMDESK_SHARED_DATA", ROOT.parent / "shared" / "data"))
FILES = {
    "ptp": SHARED / "ncci_ptp" / "ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz",
    "mue": SHARED / "ncci_mue" / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv",
    "aoc": SHARED / "ncci_aoc" / "AOC_V2026Q2-MCR.csv",
    "rvu": SHARED / "pfs_rvu" / "PPRRVU25_JAN_no_descriptors.csv",
    "hcpcs": SHARED / "hcpcs_level2" / "HCPC2026_JAN_ANWEB_01122026.csv",
}
DOS_FIRST = date(2025, 1, 2)
DOS_DAYS = 360
CPT = re.compile(r"^\d{5}$")
CPT_CATEGORY_III = re.compile(r"^\d{4}T$")
MIXES = ("common", "diverse")
EM_OFFICE = ["99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"]
EM_OTHER = ["99221", "99222", "99223", "99231", "99232", "99233", "99281", "99282", "99283", "99284", "99285"]
DRUG_ADMIN = ["96372", "96374", "96365"]
# Common billable ICD-10-CM codes (FY2025).
DIAGNOSES = [
    "I10", "E11.9", "E78.5", "J06.9", "M54.50", "K21.9", "F41.1", "J45.909", "N39.0", "R07.9",
    "M17.11", "M17.12", "L57.0", "E66.9", "Z00.00", "G43.709", "K63.5", "D12.5", "R10.9", "I25.10",
    "E03.9", "M25.561", "J30.9", "R51.9", "N18.30", "I48.91", "F32.A", "M79.604", "L03.115", "S83.241A",
]  # fmt: skip
SPECIALTIES = ["01", "08", "11", "07", "10", "20", "13", "06", "30", "38"]
PROCEDURES = 1500  # procedures and diagnostic tests in the batch's code universe
LABS = 300
SKEW = 2  # item index = len * U**SKEW: the first 10 % of a pool get about 32 % of the draws
MODIFIER_RATE = {"bypass": 0.45, "side": 0.1, "professional": 0.1}


class MissingData(Exception):
    pass


@dataclass
class Pools:
    em: list[str]
    procedures: list[str]
    labs: list[str]
    drugs: list[tuple[str, int]]  # (code, MUE value)
    addons: list[tuple[str, str]]  # (add-on, primary)
    pairs: list[tuple[str, str]]
    bilateral: set[str] = field(default_factory=set)
    pctc1: set[str] = field(default_factory=set)
    universe: list[str] = field(default_factory=list)  # every usable code of the PTP, MUE and RVU files


def _need(*keys: str) -> None:
    for key in keys:
        if not FILES[key].exists():
            raise MissingData(f"{FILES[key]} is missing (../shared/data absent)")


def read_rvu() -> dict[str, dict[str, str]]:
    text = FILES["rvu"].read_text(encoding="utf-8", errors="replace").splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("HCPCS,"))
    return {row["HCPCS"]: row for row in csv.DictReader(io.StringIO("\n".join(text[start:]))) if not row["MOD"]}


def read_mue() -> dict[str, int]:
    text = FILES["mue"].read_text(encoding="utf-8", errors="replace")
    values = {}
    for cells in csv.reader(io.StringIO(text)):
        if len(cells) >= 3 and re.fullmatch(r"[0-9A-Z]{5}", cells[0]) and cells[1].strip().isdigit():
            values[cells[0]] = int(cells[1])
    return values


def read_hcpcs_valid() -> set[str]:
    """HCPCS Level II codes added before 2025 and not terminated."""
    valid = set()
    with FILES["hcpcs"].open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle):
            added = row["ADD DT"].strip()
            if row["RECID"] == "3" and not row["TERM DT"].strip() and added and added < "20250101":
                valid.add(row["HCPC"])
    return valid


def read_addons(usable: set[str]) -> list[tuple[str, str]]:
    pairs = []
    with FILES["aoc"].open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["AOC_Edit_Type"] != "1" or row["AOC_DelDT"] or row["Primary_Code_DelDT"] or row["AOC_Edit_DelDT"]:
                continue
            if row["Add-On_Code"] in usable and row["Primary_Code"] in usable:
                pairs.append((row["Add-On_Code"], row["Primary_Code"]))
    return sorted(set(pairs))


def read_ptp_codes() -> set[str]:
    """Every code of the PTP file (column 1 or column 2 of any row)."""
    codes: set[str] = set()
    with gzip.open(FILES["ptp"], "rt", encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        for column_1, column_2, *_ in reader:
            codes.add(column_1)
            codes.add(column_2)
    return codes


def read_ptp_pairs(usable: set[str]) -> list[tuple[str, str]]:
    """Open (not deleted) PTP pairs with modifier indicator 0 or 1 whose two codes are both usable."""
    pairs = []
    with gzip.open(FILES["ptp"], "rt", encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        for column_1, column_2, deletion, indicator, _ in reader:
            if deletion == "*" and indicator in ("0", "1") and column_1 in usable and column_2 in usable:
                pairs.append((column_1, column_2))
    return pairs


def build_pools(mix: str = "common") -> Pools:
    _need(*FILES)
    rvu = read_rvu()
    mue = read_mue()
    hcpcs = read_hcpcs_valid()

    def status(code: str) -> str:
        return rvu.get(code, {}).get("STATUS CODE", "")

    def is_valid(code: str) -> bool:
        return bool(CPT.match(code) or CPT_CATEGORY_III.match(code)) or code in hcpcs

    em = [c for c in EM_OFFICE + EM_OTHER if status(c) == "A" and c in mue]
    procedures = sorted(
        c
        for c, row in rvu.items()
        if row["STATUS CODE"] == "A"
        and CPT.match(c)
        and not c.startswith("99")
        and row["GLOB DAYS"] in ("000", "010", "090", "XXX")
        and mue.get(c, 0) >= 1
    )
    labs = sorted(c for c, row in rvu.items() if row["STATUS CODE"] == "X" and "80047" <= c <= "89398" and mue.get(c))
    drugs = sorted((c, mue[c]) for c in mue if c.startswith("J") and c in hcpcs and status(c) == "E" and mue[c] >= 1)
    usable = {c for c in set(procedures) | set(labs) | set(em) | {c for c, _ in drugs} | set(DRUG_ADMIN) if is_valid(c)}
    universe: list[str] = []
    if mix == "diverse":
        # Every code of the three files that a claim can carry (a CPT or Category III number, or a current
        # HCPCS Level II code) and that is payable somewhere (an MUE above 0, or no MUE row at all).
        codes = read_ptp_codes() | set(mue) | set(rvu)
        universe = sorted(c for c in codes if is_valid(c) and mue.get(c, 1) >= 1 and not c.startswith("99"))
        usable |= set(universe)
    addon_usable = usable | {c for c, row in rvu.items() if row["GLOB DAYS"] == "ZZZ" and row["STATUS CODE"] == "A"}
    addons = [(a, p) for a, p in read_addons(addon_usable) if p in usable and mue.get(a, 0) >= 1]
    pairs = read_ptp_pairs(usable)
    if not (em and procedures and labs and drugs and addons and pairs):
        raise MissingData("the CMS files gave an empty code pool")
    return Pools(
        em=em,
        procedures=procedures,
        labs=labs,
        drugs=drugs,
        addons=addons,
        pairs=pairs,
        bilateral={c for c, row in rvu.items() if row["BILAT SURG"] in ("1", "3")},
        pctc1={c for c, row in rvu.items() if row["PCTC IND"] == "1"},
        universe=universe,
    )


def skewed(rng: random.Random, items: list, skew: float = SKEW):
    """A few items are billed very often, most rarely (claims volume per code is highly skewed);
    ``skew`` 1 draws uniformly."""
    return items[int(len(items) * rng.random() ** skew)]


def luhn_npi(rng: random.Random) -> str:
    """A random NPI that passes the CMS check digit (Luhn over '80840' + the first 9 digits)."""
    body = "1" + "".join(rng.choice("0123456789") for _ in range(8))
    digits = [int(d) for d in "80840" + body]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return body + str((10 - total % 10) % 10)


def _line(number: int, code: str, units: int = 1, modifiers: list[str] | None = None, **extra) -> dict:
    return {
        "line": number,
        "code": code,
        "modifiers": modifiers or [],
        "units": units,
        "charge": 0.0,
        "dx_pointers": ["A"],
        "ndc": None,
        "ndc_unit": None,
        "ndc_qty": None,
        "dose": None,
        "container": None,
        "narrative": None,
        **extra,
    }


def make_claim(index: int, rng: random.Random, pools: Pools, npis: list[str], skew: float = SKEW) -> dict:
    payer_type = rng.choices(["medicare", "commercial", "medicaid"], weights=[50, 35, 15])[0]
    size = rng.randint(1, 20)
    dos = DOS_FIRST + timedelta(days=rng.randrange(DOS_DAYS))
    lines: list[dict] = []
    codes_planned: list[tuple[str, list[str], int, dict]] = []

    def add(code: str, modifiers: list[str] | None = None, units: int = 1, **extra) -> None:
        if len(codes_planned) < size:
            codes_planned.append((code, list(modifiers or []), units, extra))

    has_em = rng.random() < 0.7
    if has_em:
        add(rng.choice(pools.em))
    if size > 1 and rng.random() < 0.5:
        column_1, column_2 = skewed(rng, pools.pairs, skew)
        bypass = ["XS"] if rng.random() < MODIFIER_RATE["bypass"] else []
        add(column_1)
        add(column_2, bypass)
    if size > 2 and rng.random() < 0.25:
        add_on, primary = skewed(rng, pools.addons, skew)
        add(primary)
        add(add_on)
    if size > 2 and rng.random() < 0.25:
        drug, mue = skewed(rng, pools.drugs)
        units = max(1, min(mue, rng.randint(1, 10)))
        modifiers = ["JZ"] if payer_type == "medicare" else []
        add(rng.choice(DRUG_ADMIN))
        add(drug, modifiers, units, container="single_dose")
    while len(codes_planned) < size:
        if rng.random() < 0.55:
            add(skewed(rng, pools.labs, skew))
        else:
            code = skewed(rng, pools.procedures, skew)
            modifiers = []
            if code in pools.bilateral and rng.random() < MODIFIER_RATE["side"]:
                modifiers.append(rng.choice(["RT", "LT"]))
            if code in pools.pctc1 and rng.random() < MODIFIER_RATE["professional"]:
                modifiers.append("26")
            add(code, modifiers, 2 if rng.random() < 0.08 else 1)
    if has_em and len(codes_planned) > 1:
        codes_planned[0][1].append("25")
    diagnoses = rng.sample(DIAGNOSES, rng.randint(1, 4))
    letters = "ABCD"[: len(diagnoses)]
    for number, (code, modifiers, units, extra) in enumerate(codes_planned, start=1):
        pointers = rng.sample(letters, rng.randint(1, len(letters)))
        line = _line(number, code, units, modifiers, **extra)
        line["dx_pointers"] = sorted(pointers)
        line["charge"] = round(rng.uniform(15, 900), 2)
        lines.append(line)
    age = rng.randint(66, 95) if payer_type == "medicare" else rng.randint(1, 64)
    dob = date(dos.year - age, rng.randint(1, 12), rng.randint(1, 28))
    npi = rng.choice(npis)
    claim = {
        "id": f"BENCH-{index:06d}",
        "payer_type": payer_type,
        "payer_name": {"medicare": "Medicare Part B", "commercial": "Commercial PPO", "medicaid": "State Medicaid"}[
            payer_type
        ],
        "patient": {"dob": dob.isoformat(), "sex": rng.choice("FM")},
        "billing_npi": npis[0],
        "rendering_npi": npi,
        "rendering_specialty": rng.choice(SPECIALTIES),
        "group_tin": "741234567",
        "dos": dos.isoformat(),
        "pos": rng.choices(["11", "22", "19", "21", "23", "24"], weights=[70, 8, 5, 8, 5, 4])[0],
        "submission_date": (dos + timedelta(days=rng.randint(2, 60))).isoformat(),
        "diagnoses": diagnoses,
        "prior_auth_number": None,
        "history": [],
        "lines": lines,
    }
    if payer_type != "medicare":
        claim["payer_config"] = {"timely_filing_days": 180 if payer_type == "commercial" else 365}
    if rng.random() < 0.15:
        claim["history"] = [
            {
                "code": rng.choice(pools.em),
                "modifiers": [],
                "dos": (dos - timedelta(days=rng.randint(1, 900))).isoformat(),
                "rendering_npi": rng.choice(npis),
                "specialty": rng.choice(SPECIALTIES),
                "group_tin": "741234567",
            }
            for _ in range(rng.randint(1, 3))
        ]
    return claim


def generate(count: int = 20_000, seed: int = 20260501, pools: Pools | None = None, mix: str = "common") -> dict:
    """The scrub document: ``count`` claims, the same for the same seed, mix and files."""
    if mix not in MIXES:
        raise ValueError(f"unknown mix {mix!r}; one of {', '.join(MIXES)}")
    pools = pools or build_pools(mix)
    order = random.Random(seed + 1)  # which codes are the popular ones: a fixed shuffle of each pool
    for name in ("procedures", "labs", "drugs", "addons", "pairs"):
        items = sorted(getattr(pools, name))
        order.shuffle(items)
        setattr(pools, name, items)
    if mix == "common":
        # The code universe of a billing team's batch: a few thousand codes, not the whole fee schedule.
        pools.procedures = pools.procedures[:PROCEDURES]
        pools.labs = pools.labs[:LABS]
        skew: float = SKEW
    else:
        # A billing service for many specialties: any code of the files, about equally often.
        pools.procedures = sorted(set(pools.universe) - set(pools.labs))
        skew = 1
    kept = set(pools.em) | set(pools.procedures) | set(pools.labs) | {c for c, _ in pools.drugs} | set(DRUG_ADMIN)
    pools.pairs = [(a, b) for a, b in pools.pairs if a in kept and b in kept]
    pools.addons = [(a, p) for a, p in pools.addons if p in kept]
    rng = random.Random(seed)
    npis = [luhn_npi(rng) for _ in range(25)]
    return {"claims": [make_claim(index, rng, pools, npis, skew) for index in range(1, count + 1)]}


def write_repeated(path: Path, count: int, claims: list[dict]) -> int:
    """Write a scrub document of ``count`` claims to ``path`` as it goes (never the whole document in
    memory): ``claims`` repeated in turn, each copy under a new id. Returns the bytes written."""
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"claims": [\n')
        for index in range(count):
            claim = claims[index % len(claims)]
            text = json.dumps({**claim, "id": f"STREAM-{index + 1:07d}"})
            handle.write(text if index == 0 else ",\n" + text)
            written += len(text) + 2
        handle.write("\n]}\n")
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--mix", choices=MIXES, default="common")
    args = parser.parse_args()
    try:
        document = generate(args.claims, args.seed, mix=args.mix)
    except MissingData as error:
        print(f"make_claims: {error}", file=sys.stderr)
        return 2
    args.output.write_text(json.dumps(document), encoding="utf-8")
    lines = sum(len(c["lines"]) for c in document["claims"])
    print(f"make_claims: {len(document['claims'])} claims, {lines} lines -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
