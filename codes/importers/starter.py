"""ClaimDesk's starter data set: the embedded default that ``make run`` loads.

The CSV files in ``codes/starter/`` are ours (see its README): a few hundred frequently billed codes
with our own plain-language labels, the modifiers and places of service, and the real CMS edit rows
among those codes. Each file is loaded by a ``BaseImporter`` subclass as a release marked
``is_starter`` whose label names the CMS release its facts come from (``starter (2026 Q2)``) and whose
effective date is that release's, so the release selector treats it like any other release and a
later real import of the same source takes over.

Catalogue rows (codes, modifiers, places of service) already loaded by a real import are not
overwritten: the starter data only fills their blank fields (our label, an NCCI group).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

from django.db import models

from ..choices import (
    CodeOrigin,
    CodeSystem,
    FacilityType,
    ModifierKind,
    MUEServiceType,
    NCCIModifierGroup,
    PTPSetting,
    Source,
)
from ..classify import classify
from ..models import (
    AddOnEdit,
    ASPLimit,
    FeeScheduleIndicator,
    Modifier,
    MUELimit,
    NDCCrosswalk,
    PlaceOfService,
    ProcedureCode,
    PTPEdit,
    Release,
)
from .base import BaseImporter, Counts, diff_counts, ensure_codes_exist, read_text

STARTER_DIR = Path(__file__).resolve().parent.parent / "starter"
IMPORTED_BY = "starter data"
BATCH = 2000


# --- parsing one CSV cell ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    importer: BaseImporter
    line: int
    field: str
    value: str

    def error(self, message: str):
        return self.importer.error(message, line=self.line, field=self.field)


def text(cell: Cell) -> str:
    return cell.value.strip()


def iso_date(cell: Cell) -> date | None:
    value = cell.value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise cell.error(f"'{value}' is not a date in the form YYYY-MM-DD") from None


def flag(cell: Cell) -> bool:
    value = cell.value.strip()
    if value not in {"0", "1"}:
        raise cell.error(f"'{value}' is not 0 or 1")
    return value == "1"


def decimal(cell: Cell) -> Decimal | None:
    value = cell.value.strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise cell.error(f"'{value}' is not a number") from None


def integer(cell: Cell) -> int:
    value = cell.value.strip()
    if not value.isdigit():
        raise cell.error(f"'{value}' is not a whole number")
    return int(value)


def one_of(*allowed: Any) -> Callable[[Cell], Any]:
    def parse(cell: Cell) -> Any:
        value = cell.value.strip()
        for option in allowed:
            if value == str(option):
                return option
        raise cell.error(f"'{value}' is not one of {', '.join(str(o) for o in allowed)}")

    return parse


def code(cell: Cell) -> str:
    value = cell.value.strip().upper()
    result = classify(value)
    if not result:
        raise cell.error(result.reason)
    return result.code


def primary_code(cell: Cell) -> str:
    """An add-on edit's primary: a code, or CCCCC (primaries defined by the contractor)."""
    return "CCCCC" if cell.value.strip().upper() == "CCCCC" else code(cell)


def ndc(cell: Cell) -> str:
    value = cell.value.strip()
    if len(value) != 11 or not value.isdigit():
        raise cell.error(f"'{value}' is not an 11-digit NDC (5-4-2 without dashes)")
    return value


def blank_or(choices: type[models.TextChoices]) -> Callable[[Cell], str]:
    return one_of("", *choices.values)


# --- the importers ---------------------------------------------------------------------------------
class StarterImporter(BaseImporter):
    """One starter CSV (header row, then one row per record) into one source's release."""

    file_name: ClassVar[str]
    release_label: ClassVar[str]
    release_effective: ClassVar[date]
    # Column name -> parser, in file order.
    columns: ClassVar[dict[str, Callable[[Cell], Any]]]
    encodings = ("utf-8",)

    def __init__(self, path: str | Path | None = None, **kwargs: Any):
        kwargs.setdefault("is_starter", True)
        kwargs.setdefault("imported_by", IMPORTED_BY)
        super().__init__(path or STARTER_DIR / self.file_name, **kwargs)

    def detect_release(self) -> tuple[str, date]:
        return self.release_label, self.release_effective

    def records(self) -> Iterator[dict[str, Any]]:
        """The parsed rows: each a dict of column -> value, with ``_line`` (1-based line number)."""
        content = read_text(self.path, self.encodings)
        reader = csv.reader(io.StringIO(content, newline=""))
        header = next(reader, None)
        expected = list(self.columns)
        if header is None or [h.strip() for h in header] != expected:
            raise self.error(f"expected the columns {', '.join(expected)}; found {', '.join(header or [])}", line=1)
        count = 0
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(expected):
                field = expected[len(values)] if len(values) < len(expected) else None
                raise self.error(
                    f"{len(values)} fields where {len(expected)} are expected (truncated or malformed row)",
                    line=line,
                    field=field,
                )
            record = {
                name: parse(Cell(self, line, name, value))
                for (name, parse), value in zip(self.columns.items(), values, strict=True)
            }
            record["_line"] = line
            count += 1
            yield record
        if not count:
            raise self.error("the file has a header but no rows")


class CatalogueStarterImporter(StarterImporter):
    """Codes, modifiers, places of service: one row per code, updated in place."""

    model: ClassVar[type[models.Model]]
    fields: ClassVar[tuple[str, ...]]  # compared and written
    # Fields a real import may leave blank that the starter data fills (e.g. our label).
    fill_fields: ClassVar[tuple[str, ...]] = ()
    # Fields set from the code itself (see ``extra_values``).
    extra_fields: ClassVar[tuple[str, ...]] = ()

    def wanted(self) -> dict[str, dict[str, Any]]:
        return {r["code"]: {f: r[f] for f in self.fields} for r in self.records()}

    def extra_values(self, code: str) -> dict[str, Any]:
        return {}

    def load(self, release: Release, previous: Release | None) -> Counts:
        wanted = self.wanted()
        existing = {obj.code: obj for obj in self.model.objects.filter(code__in=wanted).select_related("release")}
        counts = Counts()
        new, updated, filled = [], [], []
        for key, values in wanted.items():
            values = {**values, **self.extra_values(key)}
            obj = existing.get(key)
            if obj is None:
                new.append(self.model(code=key, release=release, **values))
                counts.added += 1
                continue
            if obj.release is not None and not obj.release.is_starter:
                # A real CMS or licensed import owns this row: only fill what it left blank.
                gaps = [f for f in self.fill_fields if not getattr(obj, f) and values.get(f)]
                for name in gaps:
                    setattr(obj, name, values[name])
                if gaps:
                    filled.append(obj)
                continue
            before = {f: getattr(obj, f) for f in values}
            if before == values:
                counts.unchanged += 1
            elif not before.get("termination_date") and values.get("termination_date"):
                counts.terminated += 1
            else:
                counts.changed += 1
            for name, value in values.items():
                setattr(obj, name, value)
            obj.release = release
            updated.append(obj)
        self.model.objects.bulk_create(new, batch_size=BATCH)
        if updated:
            fields = [*self.fields, *self.extra_fields, "release"]
            self.model.objects.bulk_update(updated, fields, batch_size=BATCH)
        if filled:
            self.model.objects.bulk_update(filled, list(self.fill_fields), batch_size=BATCH)
        counts.total = self.model.objects.filter(release=release).count()
        return counts


class StarterProcedureCodeImporter(CatalogueStarterImporter):
    """``procedure_codes.csv``: CPT rows (number, our label, flags) and HCPCS Level II rows (CMS facts)."""

    file_name = "procedure_codes.csv"
    model = ProcedureCode
    system: ClassVar[str]
    columns = {
        "code": code,
        "label": text,
        "short_description": text,
        "long_description": text,
        "added_date": iso_date,
        "action_effective_date": iso_date,
        "termination_date": iso_date,
        "action_code": text,
        "coverage_code": text,
        "pricing_indicators": text,
        "betos": text,
        "type_of_service": text,
        "is_add_on": flag,
        "is_unlisted": flag,
        "is_drug": flag,
        "drug_dose_amount": decimal,
        "drug_dose_unit": text,
        "drug_route": text,
    }
    fields = tuple(name for name in columns if name != "code")
    fill_fields = ("label",)
    extra_fields = ("system", "cpt_category", "hcpcs_section", "section", "origin", "origin_note")

    def wanted(self) -> dict[str, dict[str, Any]]:
        wanted = {}
        for record in self.records():
            if classify(record["code"]).system != self.system:
                continue
            if self.system == CodeSystem.CPT and (record["short_description"] or record["long_description"]):
                raise self.error(
                    "CPT rows carry our label only, never a CPT descriptor",
                    line=record["_line"],
                    field="long_description" if record["long_description"] else "short_description",
                )
            wanted[record["code"]] = {f: record[f] for f in self.fields}
        return wanted

    def extra_values(self, key: str) -> dict[str, Any]:
        result = classify(key)
        return {
            "system": result.system,
            "cpt_category": result.category,
            "hcpcs_section": result.section_letter,
            "section": result.section,
            "origin": CodeOrigin.STARTER,
            "origin_note": "",
        }


class StarterHCPCSImporter(StarterProcedureCodeImporter):
    source = Source.HCPCS
    system = CodeSystem.HCPCS
    release_label = "starter (2026 January)"
    release_effective = date(2026, 1, 1)


class StarterCPTImporter(StarterProcedureCodeImporter):
    source = Source.CPT
    system = CodeSystem.CPT
    release_label = "starter (2026)"
    release_effective = date(2026, 1, 1)


class StarterModifierImporter(CatalogueStarterImporter):
    source = Source.MODIFIERS
    file_name = "modifiers.csv"
    release_label = "starter (2026 January)"
    release_effective = date(2026, 1, 1)
    model = Modifier
    columns = {
        "code": text,
        "kind": one_of(*ModifierKind.values),
        "ncci_group": blank_or(NCCIModifierGroup),
        "short_description": text,
        "description": text,
        "effective_date": iso_date,
        "termination_date": iso_date,
    }
    fields = ("kind", "ncci_group", "short_description", "description", "effective_date", "termination_date")
    fill_fields = ("ncci_group", "short_description", "description")

    def records(self) -> Iterator[dict[str, Any]]:
        for record in super().records():
            if len(record["code"]) != 2 or not record["code"].isalnum():
                raise self.error(
                    f"'{record['code']}' is not a two-character modifier", line=record["_line"], field="code"
                )
            yield record


class StarterPlaceOfServiceImporter(CatalogueStarterImporter):
    source = Source.POS
    file_name = "places_of_service.csv"
    release_label = "starter (2024 June)"
    release_effective = date(2024, 6, 1)
    model = PlaceOfService
    columns = {"code": text, "name": text, "description": text, "facility_type": one_of(*FacilityType.values)}
    fields = ("name", "description", "facility_type")

    def records(self) -> Iterator[dict[str, Any]]:
        for record in super().records():
            if len(record["code"]) != 2 or not record["code"].isdigit():
                raise self.error(
                    f"'{record['code']}' is not a two-digit place of service", line=record["_line"], field="code"
                )
            yield record


class SnapshotStarterImporter(StarterImporter):
    """A table whose every release keeps its own rows (fee schedule, PTP, MUE, add-on, ASP, NDC)."""

    model: ClassVar[type[models.Model]]
    key_fields: ClassVar[tuple[str, ...]]
    code_fields: ClassVar[tuple[str, ...]] = ("code",)  # columns naming procedure codes
    fixed: ClassVar[dict[str, Any]] = {}  # values every row of this source carries (setting, service type)

    def value_fields(self) -> tuple[str, ...]:
        return tuple(f for f in self.columns if f not in self.key_fields)

    def row_of(self, values: dict[str, Any]) -> tuple[tuple, tuple]:
        return tuple(values[f] for f in self.key_fields), tuple(values[f] for f in self.value_fields())

    def rows_of(self, release: Release, codes: set[str]) -> dict[tuple, tuple]:
        """Rows of a release among our codes (a full real release may hold millions of others)."""
        queryset = self.model.objects.filter(release=release, **{f"{self.code_fields[0]}__in": codes})
        fields = [*self.key_fields, *self.value_fields()]
        size = len(self.key_fields)
        return {row[:size]: row[size:] for row in queryset.values_list(*fields).iterator(chunk_size=BATCH)}

    def clear_release(self, release: Release) -> None:
        self.model.objects.filter(release=release).delete()

    def load(self, release: Release, previous: Release | None) -> Counts:
        current: dict[tuple, tuple] = {}
        objects = []
        for record in self.records():
            values = {f: record[f] for f in self.columns}
            key, value = self.row_of(values)
            if key in current:
                raise self.error(f"a second row for {', '.join(map(str, key))}", line=record["_line"])
            current[key] = value
            objects.append(self.model(release=release, **self.fixed, **values))
        self.model.objects.bulk_create(objects, batch_size=BATCH)
        first_codes = {key[self.key_fields.index(self.code_fields[0])] for key in current}
        before = self.rows_of(previous, first_codes) if previous is not None else None
        all_codes = {getattr(obj, f) for obj in objects for f in self.code_fields}
        ensure_codes_exist(all_codes - {"CCCCC"}, note=f"{release.get_source_display()} ({release.label})")
        counts = diff_counts(before, current)
        counts.total = self.model.objects.filter(release=release).count()
        return counts


class StarterFeeScheduleImporter(SnapshotStarterImporter):
    source = Source.PFS_RVU
    file_name = "fee_schedule.csv"
    release_label = "starter (RVU25A)"
    release_effective = date(2025, 1, 1)
    model = FeeScheduleIndicator
    key_fields = ("code", "modifier")
    columns = {
        "code": code,
        "modifier": text,
        "status": text,
        "not_used_for_medicare": flag,
        "pctc_indicator": text,
        "global_days": text,
        "multiple_procedure": text,
        "bilateral_surgery": text,
        "assistant_surgery": text,
        "co_surgery": text,
        "team_surgery": text,
    }


class StarterPTPImporter(SnapshotStarterImporter):
    source = Source.PTP_PRACTITIONER
    file_name = "ptp_practitioner.csv"
    release_label = "starter (v30.1 2024 Q2)"
    release_effective = date(2024, 4, 1)
    model = PTPEdit
    key_fields = ("column_1", "column_2", "effective_date", "deletion_date")
    code_fields = ("column_1", "column_2")
    fixed = {"setting": PTPSetting.PRACTITIONER}
    columns = {
        "column_1": code,
        "column_2": code,
        "in_existence_prior_1996": flag,
        "effective_date": iso_date,
        "deletion_date": iso_date,
        "modifier_indicator": one_of(0, 1, 9),
        "rationale": text,
    }


class StarterMUEImporter(SnapshotStarterImporter):
    release_effective = date(2026, 4, 1)
    model = MUELimit
    key_fields = ("code",)
    columns = {"code": code, "value": integer, "adjudication_indicator": one_of(1, 2, 3), "rationale": text}


class StarterMUEPractitionerImporter(StarterMUEImporter):
    release_label = "starter (2026 Q2 practitioner)"
    source = Source.MUE_PRACTITIONER
    file_name = "mue_practitioner.csv"
    fixed = {"service_type": MUEServiceType.PRACTITIONER}


class StarterMUEOutpatientHospitalImporter(StarterMUEImporter):
    release_label = "starter (2026 Q2 outpatient hospital)"
    source = Source.MUE_OUTPATIENT_HOSPITAL
    file_name = "mue_outpatient_hospital.csv"
    fixed = {"service_type": MUEServiceType.OUTPATIENT_HOSPITAL}


class StarterMUEDMEImporter(StarterMUEImporter):
    release_label = "starter (2026 Q2 DME)"
    source = Source.MUE_DME
    file_name = "mue_dme.csv"
    fixed = {"service_type": MUEServiceType.DME}


class StarterAddOnImporter(SnapshotStarterImporter):
    source = Source.AOC
    file_name = "addon_edits.csv"
    release_label = "starter (2026 Q2)"
    release_effective = date(2026, 4, 1)
    model = AddOnEdit
    key_fields = ("add_on_code", "primary_code", "effective_date")
    code_fields = ("add_on_code", "primary_code")
    columns = {
        "add_on_code": code,
        "primary_code": primary_code,
        "edit_type": one_of(1, 2, 3),
        "add_on_deletion_date": iso_date,
        "primary_deletion_date": iso_date,
        "effective_date": iso_date,
        "deletion_date": iso_date,
        "notes": text,
    }


class StarterASPImporter(SnapshotStarterImporter):
    source = Source.ASP
    file_name = "asp_limits.csv"
    release_label = "starter (2026 January)"
    release_effective = date(2026, 1, 1)
    model = ASPLimit
    key_fields = ("code",)
    columns = {
        "code": code,
        "dosage": text,
        "dosage_amount": decimal,
        "dosage_unit": text,
        "payment_limit": decimal,
        "coinsurance_percent": decimal,
    }


class StarterNDCImporter(SnapshotStarterImporter):
    source = Source.NDC_CROSSWALK
    file_name = "ndc_crosswalk.csv"
    release_label = "starter (2026 January)"
    release_effective = date(2026, 1, 1)
    model = NDCCrosswalk
    key_fields = ("code", "ndc")

    columns = {
        "ndc": ndc,
        "code": code,
        "labeler": text,
        "drug_name": text,
        "hcpcs_dosage": text,
        "package_size": decimal,
        "package_quantity": decimal,
        "billing_units": decimal,
        "billing_units_per_package": decimal,
    }


# In load order: catalogues first, so the edit tables find their codes.
STARTER_IMPORTERS: tuple[type[StarterImporter], ...] = (
    StarterHCPCSImporter,
    StarterCPTImporter,
    StarterModifierImporter,
    StarterPlaceOfServiceImporter,
    StarterFeeScheduleImporter,
    StarterPTPImporter,
    StarterMUEPractitionerImporter,
    StarterMUEOutpatientHospitalImporter,
    StarterMUEDMEImporter,
    StarterAddOnImporter,
    StarterASPImporter,
    StarterNDCImporter,
)
