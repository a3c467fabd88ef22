"""The kinds of CMS file the admin upload page can import, and the importer that reads each.

Importers are named by dotted path and imported only when used, so this module stays cheap to load
and a kind whose importer is missing fails with a clear message instead of breaking the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string

from ..choices import MUEServiceType, PTPSetting


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: str
    importer: str  # dotted path of a BaseImporter subclass
    extra: dict[str, Any] = field(default_factory=dict)
    hint: str = ""

    def importer_class(self) -> type:
        return import_string(self.importer)

    def build(self, path, **options: Any):
        """An importer for ``path`` with this kind's extra keyword arguments."""
        return self.importer_class()(path, **self.extra, **options)


KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    KINDS[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    KINDS.pop(key, None)


def get_kind(key: str) -> ImportKind:
    return KINDS[key]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.key, kind.label) for kind in KINDS.values()]


for _kind in (
    ImportKind(
        "hcpcs",
        "HCPCS Level II codes and modifiers (ANWEB .txt or .xlsx)",
        "codes.importers.hcpcs.HCPCSImporter",
        hint="HCPC2026_JAN_ANWEB_….txt",
    ),
    ImportKind("cpt", "CPT codes (your licensed CPT .csv)", "codes.importers.cpt.CPTImporter"),
    ImportKind(
        "rvu", "PFS relative value file (PPRRVU .csv)", "codes.importers.rvu.RVUImporter", hint="PPRRVU25_JAN.csv"
    ),
    ImportKind(
        "ptp_practitioner",
        "NCCI PTP edits, practitioner (.txt or .zip)",
        "codes.importers.ptp.PTPImporter",
        {"setting": PTPSetting.PRACTITIONER.value},
    ),
    ImportKind(
        "ptp_hospital",
        "NCCI PTP edits, outpatient hospital (.txt or .zip)",
        "codes.importers.ptp.PTPImporter",
        {"setting": PTPSetting.HOSPITAL.value},
    ),
    ImportKind(
        "mue_practitioner",
        "NCCI MUE, practitioner services",
        "codes.importers.mue.MUEImporter",
        {"service_type": MUEServiceType.PRACTITIONER.value},
    ),
    ImportKind(
        "mue_outpatient_hospital",
        "NCCI MUE, outpatient hospital services",
        "codes.importers.mue.MUEImporter",
        {"service_type": MUEServiceType.OUTPATIENT_HOSPITAL.value},
    ),
    ImportKind(
        "mue_dme",
        "NCCI MUE, DME supplier services",
        "codes.importers.mue.MUEImporter",
        {"service_type": MUEServiceType.DME.value},
    ),
    ImportKind("aoc", "NCCI add-on code edits (.csv or .xlsx)", "codes.importers.aoc.AOCImporter"),
    ImportKind("asp", "ASP drug payment limits (.csv)", "codes.importers.asp.ASPImporter"),
    ImportKind("ndc_crosswalk", "ASP NDC-HCPCS crosswalk (.csv)", "codes.importers.ndc.NDCCrosswalkImporter"),
    ImportKind("pos", "Places of service (.csv)", "codes.importers.pos.POSImporter", hint="pos_codes_2024-06.csv"),
    ImportKind(
        "icd10cm",
        "ICD-10-CM codes of one fiscal year (order or codes .txt, or CMS's .zip)",
        "codes.importers.icd10cm.ICD10CMImporter",
        hint="icd10cm_order_2025.txt",
    ),
):
    register(_kind)
