"""Demo claims for a new installation (``manage.py load_demo_claims``; ``make run`` loads them).

A few hundred claims over the last months for clearly fictitious patients (first name "Demo", member IDs
starting with ``DEMO``), entered by four billers for the demo providers and sent to the starter payers.
Every step goes through the services a biller and a supervisor use in the browser: save, check, fix,
submit with override reasons, assign, decide overrides, approve, return, edit and resubmit, void. So the
audit trail is complete and its chain verifies, and the review queue and the dashboard show real shapes.

The story is planned first (``Planner``: seeded, so every run plans the same claims), then played in the
order of its simulated time (``Loader``): what would happen after now (a review two days after a claim
sent yesterday) does not happen, so recent claims wait in the queue as they would. The services stamp
everything "now"; at the end only the plain timestamps the dashboard and the queue read are moved back to
the story's times: ``Claim.created_at``, ``Claim.first_checked_at``, ``Claim.checked_at`` and
``ClaimReview.created_at``. Audit events and snapshots keep their real times.

``load_demo_claims`` runs in one transaction (all or nothing) and is idempotent: claims whose member ID
starts with ``DEMO`` mark the demo as loaded.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from codes.choices import Source
from codes.models import ProcedureCode, Release
from codes.selectors import ICD10CMEditions

from . import services
from .check_input import CheckResult
from .choices import (
    ClaimStatus,
    IllnessDateQualifier,
    OverrideDecisionChoice,
    PayerType,
    QueueReason,
    ReferringQualifier,
    Relationship,
    Risk,
    Severity,
)
from .management.commands.create_demo_users import DEMO_ACCOUNTS
from .management.commands.load_demo_providers import DEMO_PROVIDERS
from .management.commands.load_starter_payers import STARTER_PAYERS
from .models import Claim, ClaimLine, ClaimReview, Patient, Payer, Provider, ReviewSettings
from .roles import BILLING_STAFF, SUPERVISORS, roles_ensure
from .selectors import claim_open_review

SEED = 2026
DEFAULT_COUNT = 300
MINIMUM_COUNT = 20
MEMBER_PREFIX = "DEMO"
FIRST_NAME = "Demo"

# The demo staff next to the accounts of create_demo_users: they never log in (unusable passwords); their
# names make the trail read like a team's.
DEMO_STAFF = (
    # username, first name, last name, group
    ("biller.maria", "Maria", "Lopez", BILLING_STAFF),
    ("biller.james", "James", "Chen", BILLING_STAFF),
    ("biller.aisha", "Aisha", "Patel", BILLING_STAFF),
    ("supervisor.dana", "Dana", "Brooks", SUPERVISORS),
)
BILLERS = (("biller", 34), ("biller.maria", 26), ("biller.james", 22), ("biller.aisha", 18))
REVIEWERS = ("supervisor", "supervisor.dana")
INTERNIST, RHEUMATOLOGIST = "internist", "rheumatologist"
PROVIDER_NPIS = {INTERNIST: "1234567893", RHEUMATOLOGIST: "1555555550"}
BILLING_NPI = "1666666668"

SURNAMES = (
    "Abbott", "Alvarez", "Baker", "Barnes", "Bennett", "Brennan", "Caldwell", "Castillo", "Dawson", "Delgado",
    "Ellison", "Farrow", "Fischer", "Fleming", "Garner", "Gallagher", "Hale", "Haddad", "Ingram", "Iverson",
    "Jennings", "Kowalski", "Keane", "Lambert", "Lindqvist", "Marsh", "Moreno", "Nakamura", "Novak", "Okafor",
    "Oliveira", "Pearce", "Petrov", "Quinn", "Ramsey", "Reyes", "Sandoval", "Schultz", "Sorensen", "Tanaka",
    "Thornton", "Underwood", "Vance", "Varga", "Whitfield", "Yilmaz", "Zamora", "Ashby", "Blackwood", "Cormier",
    "Dunleavy", "Esposito", "Fairbanks", "Greco", "Holloway", "Ibarra", "Jablonski", "Kirkland", "Mbeki", "Nyberg",
)  # fmt: skip

# --- what the practice bills ------------------------------------------------------------------------------
CHARGES = {
    "99202": 110, "99203": 160, "99204": 245, "99205": 320, "99211": 35, "99212": 75, "99213": 125,
    "99214": 185, "99215": 250, "G2211": 20, "36415": 15, "80048": 35, "80053": 45, "80061": 55, "82306": 65,
    "82947": 15, "83036": 40, "84153": 45, "84443": 50, "85025": 30, "81003": 15, "96372": 35, "J1100": 2,
    "J0696": 25, "J1885": 12, "J2405": 6, "J3420": 10, "90471": 30, "90472": 20, "90662": 75, "90677": 260,
    "90686": 30, "90715": 55, "90750": 215, "90651": 290, "G0008": 30, "G0009": 30, "99384": 210, "99385": 230,
    "99386": 250, "99387": 270, "99394": 190, "99395": 200, "99396": 220, "99397": 240, "G0438": 190,
    "G0439": 130, "93000": 40, "93010": 15, "71046": 70, "72100": 70, "73562": 75, "73610": 65, "10060": 180,
    "11102": 130, "11103": 60, "11402": 210, "11720": 55, "11721": 75, "12002": 190, "17000": 95, "17003": 12,
    "69210": 80, "94010": 60, "94060": 95, "94640": 30, "0591T": 90, "20610": 120, "20611": 160, "76942": 80,
    "J0702": 14, "J3301": 6, "J7321": 110, "96413": 280, "96415": 65, "J1745": 95, "Q5103": 60, "J0897": 35,
}  # fmt: skip
# Drugs: (NDC from the starter crosswalk, NDC unit, NDC quantity, single-dose container)
DRUGS = {
    "J1100": ("00404980505", "ML", "2.5", False),  # dexamethasone 10 mg
    "J0696": ("00143967801", "UN", "1", False),  # ceftriaxone 1 g
    "J1885": ("00338006910", "ML", "1", False),  # ketorolac 30 mg
    "J2405": ("00404993002", "ML", "2", False),  # ondansetron 4 mg
    "J3420": ("00143961901", "ML", "1", False),  # vitamin B12 1000 mcg
    "J3301": ("00003029305", "ML", "1", False),  # triamcinolone 40 mg
    "J0702": ("00517072001", "ML", "1", False),  # betamethasone 6 mg
    "J7321": ("89122072412", "ML", "2", False),  # hyaluronan, one dose
    "J1745": ("57894003001", "UN", "4", True),  # infliximab 400 mg
    "Q5103": ("00069080901", "UN", "4", True),  # infliximab-dyyb 400 mg
    "J0897": ("55513071001", "ML", "1", True),  # denosumab 60 mg
}
LAB_FOR = {"E11.9": "83036", "E78.5": "80061", "E03.9": "84443", "E55.9": "82306", "N18.30": "80053"}
CHRONIC = ("I10", "E11.9", "E78.5", "E03.9", "J45.909", "K21.9", "F41.1", "E55.9", "G47.33", "J44.9", "N18.30")
ACUTE = ("J06.9", "J02.9", "N39.0", "R05.9", "M54.50", "R51.9", "J01.90", "J20.9", "R10.9")
RHEUM_DX = ("M06.9", "M05.79", "M17.11", "M17.12", "M19.011", "M10.9", "M79.7", "L40.50")
# A billable diagnosis keyed as its category heading (not billable): FMT-DX-INVALID.
DX_HEADING = {
    "E11.9": "E11", "M54.50": "M54.5", "J45.909": "J45.90", "E78.5": "E78", "M17.11": "M17.1", "M17.12": "M17.1",
    "M05.79": "M05.7", "N18.30": "N18.3", "J44.9": "J44", "F41.1": "F41", "K21.9": "K21", "E03.9": "E03",
    "G47.33": "G47.3", "M06.9": "M06", "J06.9": "J06", "N39.0": "N39", "R05.9": "R05", "J02.9": "J02", "E55.9": "E55",
    "R51.9": "R51", "J20.9": "J20", "M10.9": "M10", "L40.50": "L40.5", "M19.011": "M19.01", "M25.561": "M25.56",
    "J01.90": "J01.9", "R10.9": "R10", "F32.A": "F32",
}  # fmt: skip
EM_NEW = ("99202", "99203", "99204", "99205")
EM_EST = ("99212", "99213", "99214", "99215")
PREVENTIVE_BANDS = ((12, 17, "99384", "99394"), (18, 39, "99385", "99395"), (40, 64, "99386", "99396"),
                    (65, 200, "99387", "99397"))  # fmt: skip
GLOBAL_10_DAYS = {"10060", "11402", "17000"}
RHEUMATOLOGY_KINDS = ("rheum_visit", "joint_injection", "infusion", "prolia")

# What billers write when they send a claim despite a finding, and what reviewers answer.
OVERRIDE_REASONS = {
    "TF-LIMIT": "Timely filing exception: first filed within the limit to the wrong payer ID; "
    "clearinghouse acceptance report attached.",
    "DRG-NDC-REQUIRED": "Vial discarded before the NDC was recorded; pharmacy invoice with the NDC attached.",
    "MOD-JWJZ-MISSING": "Whole vial given, nothing discarded.",
    "PTP-MI0": "Separate specimen drawn later the same day at the provider's request.",
    "MUE-DOS-POLICY": "Both sides treated; documented in the procedure note.",
    "MCR-VACCINE-ADMIN": "Administration billed as the commercial plan expects; patient has a supplement.",
    "DEM-AGE-PREVENTIVE": "Code chosen from the patient's age at scheduling.",
    "MOD-25-NON-EM": "Separate problem addressed the same day.",
    "FMT-DX-INVALID": "Diagnosis as written by the provider on the superbill.",
    "FMT-DX-COUNT": "Pointer as marked on the superbill.",
    "DUP-HISTORY": "Patient came back the same day with a new problem; separate note.",
    "MCR-AWV-FREQ": "Previous wellness visit was billed in error and corrected with Medicare.",
    "PTP-MI1-NOMOD": "Separate session and site, documented in the note.",
    "EM-NEW-EST": "Patient last seen over three years ago.",
    "GLB-POSTOP-EM": "Visit for an unrelated problem (blood pressure follow-up).",
    "COD-CAT3": "Patient was told the plan may not pay and agreed in writing.",
    "MUE-DOS-CLINICAL": "Repeat draw: the first specimen haemolysed.",
    "DRG-NDC-XWALK": "NDC read from the vial in hand; the crosswalk lags new packages.",
    "MOD-TELEHEALTH": "Audio-video visit; this payer does not ask for 95.",
}
GENERIC_REASON = "Reviewed with the provider: the documentation supports billing as coded."
# Overrides a reviewer accepts; any other overridden error is rejected and the claim returned.
ACCEPTED_RULES = {"TF-LIMIT", "DRG-NDC-REQUIRED", "DUP-HISTORY"}
ACCEPT_NOTES = {
    "TF-LIMIT": "Acceptance report attached and dated within the limit.",
    "DRG-NDC-REQUIRED": "Invoice with the NDC is in the attachments.",
}
REJECT_NOTES = {
    "MOD-JWJZ-MISSING": "Nothing discarded means JZ on the drug line; the payer denies the line without it.",
    "PTP-MI0": "Modifier indicator 0: no reason bypasses this pair. Remove the bundled code.",
    "MUE-DOS-POLICY": "The MUE is absolute (MAI 2): bill the units the code allows.",
    "MCR-VACCINE-ADMIN": "Medicare pays G0008/G0009 for these vaccines, not 90471.",
    "DEM-AGE-PREVENTIVE": "Use the preventive code for the patient's age on the date of service.",
    "MOD-25-NON-EM": "Modifier 25 goes on the visit, not on the procedure.",
    "FMT-DX-INVALID": "That is a category heading: pick the billable code below it.",
    "FMT-DX-COUNT": "The pointer points at no diagnosis: point at the one that supports the line.",
    "MCR-AWV-FREQ": "No correction on file with Medicare: this wellness visit will deny.",
    "TF-LIMIT": "No proof of timely filing in the attachments: add the clearinghouse report before sending.",
}
VOID_REASONS = (
    "Appointment was cancelled; the claim was entered from the schedule by mistake.",
    "Wrong payer: the patient's coverage changed; the visit is billed again under the new plan.",
    "Services were billed by the hospital on its facility claim; nothing to bill here.",
)
APPROVE_NOTES = ("", "", "Documentation checked.", "OK to send.", "Note supports the services billed.")


# --- the plan ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoLine:
    code: str
    modifiers: tuple[str, ...] = ()
    units: int = 1
    pointers: str = "A"
    drug: bool = False  # fill NDC, unit, quantity (and the container) from DRUGS

    def claim_line(self) -> ClaimLine:
        line = ClaimLine(
            code=self.code,
            modifiers=list(self.modifiers),
            units=Decimal(self.units),
            charge=Decimal(CHARGES.get(self.code, 50)) * self.units,
            dx_pointers=self.pointers,
        )
        if self.drug:
            ndc, unit, quantity, single_dose = DRUGS[self.code]
            line.ndc, line.ndc_unit, line.ndc_quantity = ndc, unit, Decimal(quantity)
            line.container = "single_dose" if single_dose else ""
        return line


@dataclass(frozen=True)
class Visit:
    """What the biller keys for one encounter (one claim)."""

    specialty: str
    diagnoses: tuple[str, ...]
    lines: tuple[DemoLine, ...]
    pos: str = "11"
    prior_auth: str = ""
    ndc_typo: bool = False  # the NDC of the drug line keyed with a wrong last digit

    def claim_lines(self) -> list[ClaimLine]:
        lines = [line.claim_line() for line in self.lines]
        if self.ndc_typo:
            for line in lines:
                if line.ndc:
                    line.ndc = line.ndc[:-1] + str((int(line.ndc[-1]) + 3) % 10)
                    break
        return lines

    def codes(self) -> list[str]:
        return [line.code for line in self.lines]

    def with_lines(self, lines: Iterable[DemoLine]) -> Visit:
        return replace(self, lines=tuple(lines))


@dataclass
class DemoPatient:
    number: int
    last_name: str
    date_of_birth: date
    sex: str
    payer_type: str
    chronic: tuple[str, ...]
    rheum: tuple[str, ...] = ()  # rheumatology diagnoses: the patient also sees the rheumatologist
    biologic: bool = False
    weight: float = 1.0

    @property
    def member_id(self) -> str:
        return f"{MEMBER_PREFIX}{self.number:06d}"

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def entered(self) -> Patient:
        """The patient as a biller keys them on a claim (boxes 1a, 2, 3)."""
        return Patient(
            member_id=self.member_id,
            last_name=self.last_name,
            first_name=FIRST_NAME,
            date_of_birth=self.date_of_birth,
            sex=self.sex,
        )


@dataclass
class Encounter:
    """One claim of the story: who, when, what was keyed, and what happens to it."""

    number: int
    entered_at: datetime
    patient: DemoPatient
    kind: str
    biller: str = ""
    fate: str = "submit"  # draft, checked, submit, void_dup, void_sup
    mistake: str = ""  # "", warning, warning2, error, late
    fix: bool = False  # the biller corrects the mistake after the check
    acknowledge: bool = False  # the biller gives reasons for warnings too
    attempt: bool = False  # a checked claim: the biller tried to submit without reasons
    sample: bool | None = None  # forced sampling decision; None: drawn by risk
    review: str = ""  # approve, return, return_wait, open; "": by the claim's age
    assignee: str | None = None
    required: str = ""  # the story this encounter must tell (the queue, every status …)
    duplicate_of: Encounter | None = None
    dos: date | None = None
    visit: Visit | None = None  # as keyed
    clean: Visit | None = None  # as it should be
    return_note: str = ""


def _business_day(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


class Planner:
    """The whole story, decided from the seed: patients, encounters and what becomes of each claim."""

    def __init__(self, count: int, *, seed: int = SEED, now: datetime | None = None):
        self.count = count
        self.rng = random.Random(seed)
        self.now = timezone.localtime(now or timezone.now())
        self.today = self.now.date()
        self.span = min(183, max(21, round(count * 0.61)))  # days back the story starts

    # patients ------------------------------------------------------------------------------------------
    def patients(self) -> list[DemoPatient]:
        rng, out = self.rng, []
        total = max(12, round(self.count * 0.58))
        for number in range(1, total + 1):
            index = number - 1
            last = SURNAMES[index % len(SURNAMES)]
            if index >= len(SURNAMES):
                last = f"{last}-{SURNAMES[(index * 7 + 3) % len(SURNAMES)]}"
            age = rng.choices([(17, 25), (26, 44), (45, 64), (65, 79), (80, 93)], [8, 22, 30, 28, 12])[0]
            years = rng.randint(*age)
            born = self.today - timedelta(days=round(years * 365.25) + rng.randint(1, 360))
            if years >= 65:
                payer = PayerType.MEDICAID if rng.random() < 0.08 else PayerType.MEDICARE
            else:
                payer = PayerType.MEDICAID if rng.random() < 0.35 else PayerType.COMMERCIAL
            chronic = tuple(rng.sample(CHRONIC, rng.choice([0, 1, 1, 2, 2, 3]))) or ("I10",)
            rheum: tuple[str, ...] = ()
            if years >= 30 and rng.random() < 0.28:
                rheum = (rng.choice(RHEUM_DX),)
                if years >= 60 and rng.random() < 0.3:
                    rheum += ("M81.0",)
            biologic = bool(rheum) and rheum[0] in ("M06.9", "M05.79", "L40.50") and rng.random() < 0.6
            weight = (1.6 if years >= 65 else 1.0) * (1.8 if biologic else 1.0) * rng.choice([0.5, 1, 1, 1.5, 3])
            out.append(
                DemoPatient(
                    number=number,
                    last_name=last,
                    date_of_birth=born,
                    sex="F" if rng.random() < 0.55 else "M",
                    payer_type=payer,
                    chronic=chronic,
                    rheum=rheum,
                    biologic=biologic,
                    weight=weight,
                )
            )
        return out

    # when ------------------------------------------------------------------------------------------------
    def _times(self) -> list[datetime]:
        rng, times = self.rng, []
        start = self.today - timedelta(days=self.span)
        for _ in range(self.count - 3):
            # The practice took ClaimDesk up gradually: fewer claims in the first weeks than lately.
            day = _business_day(start + timedelta(days=int(self.span * rng.random() ** 0.6)))
            moment = time(rng.randint(8, 17), rng.randrange(60), rng.randrange(60))
            at = timezone.make_aware(datetime.combine(day, moment))
            times.append(min(at, self.now - timedelta(hours=6)))
        # The newest claims were keyed in the last hours: a draft, a claim just checked, one just sent.
        times += [self.now - timedelta(minutes=minutes) for minutes in (230, 130, 25)]
        return sorted(times)

    def _kind(self, patient: DemoPatient, day: date) -> str:
        rng = self.rng
        if patient.rheum and rng.random() < 0.5:
            kinds = {"rheum_visit": 40, "joint_injection": 25, "infusion": 30 if patient.biologic else 0}
            kinds["prolia"] = 10 if "M81.0" in patient.rheum else 0
        else:
            flu = day.month in (9, 10, 11, 12, 1, 2)
            kinds = {
                "office": 30, "office_labs": 14, "labs_only": 5, "injection": 7, "vaccine": 12 if flu else 5,
                "preventive": 6, "ecg": 4, "xray": 5, "procedure": 8, "spirometry": 2, "telehealth": 5,
            }  # fmt: skip
        names = list(kinds)
        return rng.choices(names, [kinds[name] for name in names])[0]

    # the story -------------------------------------------------------------------------------------------
    def encounters(self, patients: list[DemoPatient]) -> list[Encounter]:
        rng = self.rng
        weights = [p.weight for p in patients]
        pending: list[tuple[datetime, int, DemoPatient, str]] = []  # follow-ups and next infusions
        encounters: list[Encounter] = []
        for number, at in enumerate(self._times(), start=1):
            due = [item for item in pending if item[0] <= at]
            if due and rng.random() < 0.85:
                item = min(due, key=lambda item: (item[0], item[1]))
                pending.remove(item)
                patient, kind = item[2], item[3]
            else:
                patient = rng.choices(patients, weights)[0]
                kind = self._kind(patient, at.date())
            encounter = Encounter(number, at, patient, kind, biller=self._biller())
            encounters.append(encounter)
            if kind == "infusion":
                pending.append((at + timedelta(days=rng.randint(42, 56)), number, patient, "infusion"))
            elif kind == "procedure" and rng.random() < 0.45:  # seen again within the global period
                pending.append((at + timedelta(days=rng.randint(4, 8)), number, patient, "office"))
        self._stories(encounters)
        self._visits(encounters)
        return encounters

    def _biller(self) -> str:
        return self.rng.choices([name for name, _ in BILLERS], [weight for _, weight in BILLERS])[0]

    def _age(self, encounter: Encounter) -> float:
        return (self.now - encounter.entered_at) / timedelta(days=1)

    def _free(self, encounters: list[Encounter], *, age: float | None = None, share: float | None = None) -> int:
        """The free encounter nearest the wanted age (days) or share of the story (0 oldest, 1 newest)."""
        free = [i for i, e in enumerate(encounters) if not e.required and i < len(encounters) - 3]
        if age is not None:
            return min(free, key=lambda i: abs(self._age(encounters[i]) - age))
        return min(free, key=lambda i: abs(i - share * (len(encounters) - 1)))

    def _stories(self, encounters: list[Encounter]) -> None:
        """Place the stories a newcomer must find (every status, the queue's reasons, assignees and ages), then
        draw the others."""
        rng = self.rng
        newest = encounters[-3:]
        for encounter, (required, fate) in zip(
            newest, [("checked", "checked"), ("flagged_open", "submit"), ("draft", "draft")], strict=True
        ):
            encounter.required, encounter.fate = required, fate
        newest[0].mistake, newest[0].attempt = "error", True
        newest[1].mistake, newest[1].review, newest[1].assignee = "error", "open", None
        newest[2].mistake = "warning"

        def place(required: str, *, age: float | None = None, share: float | None = None, **story: Any) -> Encounter:
            encounter = encounters[self._free(encounters, age=age, share=share)]
            encounter.required = required
            for name, value in story.items():
                setattr(encounter, name, value)
            return encounter

        place("sampled_open", age=1.4, mistake="warning", sample=True, review="open", assignee="supervisor.dana")
        place("flagged_open", age=2.5, mistake="error", review="open", assignee="supervisor")
        place("flagged_open", age=5.0, mistake="error", review="open", assignee="supervisor.dana")
        place("flagged_open", age=10.0, mistake="error", review="open", assignee="supervisor")
        place("sampled_returned", age=6.0, kind="office", mistake="", sample=True, review="return_wait")
        late = place("flagged_approved", share=0.35, mistake="late", review="approve")
        everyone = {e.patient.number: e.patient for e in encounters}
        commercial = [p for _, p in sorted(everyone.items()) if p.payer_type == PayerType.COMMERCIAL]
        if commercial:
            late.patient, late.kind = rng.choice(commercial), "office"
        else:
            late.mistake = "error"
        place("flagged_returned", share=0.5, mistake="error", review="return")
        place("sampled_approved", share=0.45, mistake="", sample=True, review="approve")
        place("ready_medium", share=0.55, kind="office_labs", mistake="warning2", sample=False)
        place("ready_low", share=0.15, kind="office_labs", mistake="warning", sample=False)
        place("void_sup", share=0.25, fate="void_sup", mistake="", sample=False)
        original = place("dup_original", share=0.6, mistake="", sample=False)
        index = encounters.index(original)
        duplicate = encounters[index + 1] if index + 1 < len(encounters) - 3 else None
        if duplicate is None or duplicate.required:
            duplicate = place("void_dup", share=0.62)
        duplicate.required, duplicate.fate, duplicate.duplicate_of = "void_dup", "void_dup", original
        duplicate.patient, duplicate.kind = original.patient, original.kind
        if duplicate.entered_at < original.entered_at:  # keep the original first
            duplicate.entered_at = original.entered_at + timedelta(hours=20)
            encounters.sort(key=lambda e: e.entered_at)
        while duplicate.biller == original.biller:
            duplicate.biller = self._biller()

        for encounter in encounters:
            if encounter.required:
                continue
            age, progress = self._age(encounter), encounter.number / len(encounters)
            if age < 1:
                encounter.fate = rng.choices(["draft", "checked", "submit"], [30, 25, 45])[0]
            elif age < 4:
                encounter.fate = rng.choices(["draft", "checked", "submit"], [8, 12, 80])[0]
            else:
                encounter.fate = rng.choices(["draft", "checked", "submit", "void_sup"], [2, 4, 93.4, 0.6])[0]
            # Billers learn: fewer mistakes as the months go by (the clean-at-first-check chart rises).
            if encounter.fate == "checked":
                encounter.mistake = rng.choices(["error", "warning", ""], [60, 25, 15])[0]
                encounter.attempt = rng.random() < 0.5
            elif encounter.fate == "void_sup":
                encounter.mistake, encounter.sample = "", False
            elif rng.random() < 0.52 - 0.16 * progress:
                encounter.mistake = rng.choices(["warning", "warning2", "error"], [40, 18, 42])[0]
            commercial = encounter.patient.payer_type == PayerType.COMMERCIAL
            if commercial and encounter.fate == "submit" and rng.random() < 0.07:
                encounter.mistake = "late"  # keyed months after the visit: past the plan's 90 days
            if encounter.mistake == "error":
                encounter.fix = rng.random() < 0.45
            elif encounter.mistake.startswith("warning"):
                encounter.fix = rng.random() < 0.35
                encounter.acknowledge = not encounter.fix and rng.random() < 0.4

    # what is keyed ---------------------------------------------------------------------------------------------
    def _visits(self, encounters: list[Encounter]) -> None:
        rng = self.rng
        seen: set[tuple[int, str]] = set()  # (patient, specialty): established from the second encounter
        awv: dict[int, date] = {}
        followups: dict[int, date] = {}  # patient -> day of a procedure with a 10-day global
        visited: set[tuple[int, date]] = set()
        editions = ICD10CMEditions.load()
        for encounter in encounters:
            patient = encounter.patient
            if encounter.duplicate_of is not None:
                original = encounter.duplicate_of
                encounter.dos, encounter.clean, encounter.visit = original.dos, original.clean, original.clean
                continue
            entered = encounter.entered_at.date()
            lag = rng.choices([0, rng.randint(1, 3), rng.randint(4, 8)], [45, 40, 15])[0]
            if encounter.mistake == "late":
                lag = rng.randint(96, 130)
            encounter.dos = _business_day(entered - timedelta(days=lag))
            while (patient.number, encounter.dos) in visited:  # one visit a day: no accidental duplicates
                encounter.dos = _business_day(encounter.dos - timedelta(days=1))
            visited.add((patient.number, encounter.dos))
            procedure_day = followups.get(patient.number)
            kind = encounter.kind
            if procedure_day and 3 <= (encounter.dos - procedure_day).days <= 9 and kind not in ("infusion",):
                kind = encounter.kind = "followup"
                del followups[patient.number]
            if kind == "preventive" and patient.payer_type == PayerType.MEDICARE:
                last = awv.get(patient.number)
                if last and (encounter.dos - last).days < 340:
                    kind = encounter.kind = "office"
            specialty = RHEUMATOLOGIST if kind in RHEUMATOLOGY_KINDS else INTERNIST
            context = VisitContext(
                rng,
                patient,
                encounter.dos,
                (patient.number, specialty) in seen,
                diagnoses_checked=editions.for_date(encounter.dos) is not None,
            )
            clean = TEMPLATES[kind](context)
            seen.add((patient.number, specialty))
            if kind == "preventive" and patient.payer_type == PayerType.MEDICARE:
                awv[patient.number] = encounter.dos
            if GLOBAL_10_DAYS & set(clean.codes()):
                followups[patient.number] = encounter.dos
            encounter.clean, encounter.visit = clean, clean
            if encounter.mistake in ("", "late"):
                continue
            wanted = {"error": ["error"], "warning": ["warning"], "warning2": ["warning", "warning"]}[encounter.mistake]
            visit, notes = clean, []
            for severity in wanted:
                made = [name for name, _ in notes]
                made += [other for name in made for other in CONFLICTS.get(name, ())]
                possible = [
                    (name, weight, changed)
                    for name, weight, mistake in MISTAKES[severity]
                    if name not in made
                    and (encounter.fix or name not in MUST_FIX_MISTAKES)
                    and (changed := mistake(context, visit)) is not None
                ]
                if possible:
                    name, _, (visit, note) = rng.choices(possible, [weight for _, weight, _ in possible])[0]
                    notes.append((name, note))
            encounter.visit = visit
            encounter.return_note = " ".join(note for _, note in notes)
            if visit is clean:
                encounter.mistake = ""


@dataclass
class VisitContext:
    rng: random.Random
    patient: DemoPatient
    dos: date
    established: bool
    diagnoses_checked: bool = True  # an ICD-10-CM edition of the date of service's fiscal year is loaded

    @property
    def age(self) -> int:
        return self.patient.age_on(self.dos)

    @property
    def payer(self) -> str:
        return self.patient.payer_type

    def dx(self, pool: Iterable[str], extra: int = 0) -> tuple[str, ...]:
        first = self.rng.choice(tuple(pool))
        others = [code for code in self.patient.chronic if code != first]
        return (first, *self.rng.sample(others, min(extra, len(others))))

    def em(self, *, rheum: bool = False) -> str:
        if not self.established:
            return self.rng.choices(EM_NEW, [2, 40, 45, 13] if not rheum else [0, 10, 60, 30])[0]
        return self.rng.choices(EM_EST, [10, 45, 38, 7] if not rheum else [0, 20, 55, 25])[0]


def _pointers(count: int) -> str:
    return "ABCD"[: max(1, min(count, 4))]


# --- the templates: a clean visit of each kind --------------------------------------------------------------
def t_office(c: VisitContext) -> Visit:
    dx = c.dx(c.patient.chronic + ACUTE, extra=c.rng.choice([0, 1, 2]))
    lines = [DemoLine(c.em(), pointers=_pointers(len(dx)))]
    if c.payer == PayerType.MEDICARE and c.established and dx[0] in CHRONIC and c.rng.random() < 0.3:
        lines.append(DemoLine("G2211"))
    return Visit(INTERNIST, dx, tuple(lines))


def _labs(c: VisitContext, dx: tuple[str, ...]) -> list[DemoLine]:
    lines = [DemoLine("36415")]
    for letter, code in zip("ABCD", dx, strict=False):
        if code in LAB_FOR and LAB_FOR[code] not in [line.code for line in lines]:
            lines.append(DemoLine(LAB_FOR[code], pointers=letter))
    if len(lines) < 3:
        lines.append(DemoLine("85025"))
    if "80053" not in [line.code for line in lines] and c.rng.random() < 0.5:
        lines.append(DemoLine("80053"))
    if c.patient.sex == "M" and c.age >= 50 and c.rng.random() < 0.3:
        lines.append(DemoLine("84153"))
    return lines


def t_office_labs(c: VisitContext) -> Visit:
    dx = c.dx(c.patient.chronic, extra=2)
    return Visit(INTERNIST, dx, (DemoLine(c.em(), pointers=_pointers(len(dx))), *_labs(c, dx)))


def t_labs_only(c: VisitContext) -> Visit:
    dx = c.dx(c.patient.chronic, extra=2)
    return Visit(INTERNIST, dx, tuple(_labs(c, dx)))


def t_injection(c: VisitContext) -> Visit:
    problem, drug, units = c.rng.choice(
        [("J02.0", "J0696", 4), ("J01.90", "J0696", 4), ("M54.50", "J1885", 2), ("R51.9", "J1885", 2),
         ("J45.909", "J1100", 10), ("J20.9", "J1100", 10), ("R11.2", "J2405", 4), ("D51.0", "J3420", 1)]
    )  # fmt: skip
    drug_line = DemoLine(drug, units=units, drug=c.payer == PayerType.MEDICAID or c.rng.random() < 0.6)
    if drug == "J3420":  # a nurse visit for the monthly B12 shot
        return Visit(INTERNIST, (problem,), (DemoLine("96372"), drug_line))
    return Visit(INTERNIST, (problem,), (DemoLine(c.em(), ("25",)), DemoLine("96372"), drug_line))


def t_vaccine(c: VisitContext) -> Visit:
    flu = c.dos.month in (9, 10, 11, 12, 1, 2)
    if c.payer == PayerType.MEDICARE:
        lines = [DemoLine("90662"), DemoLine("G0008")] if flu else [DemoLine("90677"), DemoLine("G0009")]
    else:
        vaccine = "90686" if flu else ("90750" if c.age >= 50 else ("90651" if c.age <= 26 else "90715"))
        lines = [DemoLine(vaccine), DemoLine("90471")]
    if c.rng.random() < 0.35:  # given during a visit for something else
        dx = ("Z23", c.rng.choice(c.patient.chronic))
        return Visit(INTERNIST, dx, (DemoLine(c.em(), ("25",), pointers="B"), *lines))
    return Visit(INTERNIST, ("Z23",), tuple(lines))


def preventive_code(age: int, established: bool) -> str:
    for low, high, new, known in PREVENTIVE_BANDS:
        if low <= age <= high:
            return known if established else new
    return "99395" if established else "99385"


def t_preventive(c: VisitContext) -> Visit:
    if c.payer == PayerType.MEDICARE:
        return Visit(INTERNIST, ("Z00.00",), (DemoLine("G0439" if c.established else "G0438"),))
    dx = ("Z00.00", *c.patient.chronic[:1])
    lines = [DemoLine(preventive_code(c.age, c.established))]
    if c.rng.random() < 0.5:
        lines += [DemoLine("36415"), DemoLine("80061"), DemoLine("83036")]
    if len(dx) > 1 and c.rng.random() < 0.3:
        lines.append(DemoLine(c.em(), ("25",), pointers="B"))
    return Visit(INTERNIST, dx, tuple(lines))


def t_ecg(c: VisitContext) -> Visit:
    dx = c.dx(("R07.9", "R00.2", "I48.91", "R55"), extra=1)
    return Visit(INTERNIST, dx, (DemoLine(c.em(), pointers=_pointers(len(dx))), DemoLine("93000")))


def t_xray(c: VisitContext) -> Visit:
    problem, study, modifiers = c.rng.choice(
        [("R05.9", "71046", ()), ("J18.9", "71046", ()), ("M54.50", "72100", ()), ("M25.561", "73562", ("RT",)),
         ("M25.562", "73562", ("LT",)), ("S93.401A", "73610", ("RT",))]
    )  # fmt: skip
    return Visit(INTERNIST, (problem,), (DemoLine(c.em()), DemoLine(study, modifiers)))


def t_procedure(c: VisitContext) -> Visit:
    problems, lines = c.rng.choice(
        [(("L02.411",), [DemoLine("10060")]), (("L02.416",), [DemoLine("10060")]), (("D48.5",), [DemoLine("11102")]),
         (("L82.1",), [DemoLine("11102"), DemoLine("11103")]),
         (("L57.0",), [DemoLine("17000"), DemoLine("17003", units=3)]),
         (("D17.1",), [DemoLine("11402")]), (("S51.811A",), [DemoLine("12002")]),
         (("H61.21",), [DemoLine("69210", ("RT",))]), (("B35.1",), [DemoLine("11721")]),
         # a second lesion at another site: XS (or 59) tells the payer it is not part of the first procedure
         (("D48.5", "L57.0"), [DemoLine("11102"), DemoLine("17000", ("XS",), pointers="B")]),
         (("D17.1", "D48.5"), [DemoLine("11402"), DemoLine("11102", (c.rng.choice(("XS", "59")),), pointers="B")])]
    )  # fmt: skip
    if c.rng.random() < 0.4:  # a separate problem seen the same day
        dx = (*problems, c.rng.choice(c.patient.chronic))
        return Visit(INTERNIST, dx, (DemoLine(c.em(), ("25",), pointers="ABCD"[len(problems)]), *lines))
    return Visit(INTERNIST, problems, tuple(lines))


def t_spirometry(c: VisitContext) -> Visit:
    dx = (c.rng.choice(("J45.909", "J44.9", "R06.02")),)
    return Visit(INTERNIST, dx, (DemoLine(c.em()), DemoLine("94060")))


def t_telehealth(c: VisitContext) -> Visit:
    dx = c.dx(c.patient.chronic + ("F41.1", "F32.A"), extra=1)
    code = c.rng.choice(("99213", "99213", "99214"))
    return Visit(INTERNIST, dx, (DemoLine(code, ("95",), pointers=_pointers(len(dx))),), pos=c.rng.choice(("10", "02")))


def t_followup(c: VisitContext) -> Visit:
    """A visit for another problem within the 10-day global of a procedure: modifier 24."""
    dx = (c.rng.choice(c.patient.chronic),)
    return Visit(INTERNIST, dx, (DemoLine(c.rng.choice(("99213", "99214")), ("24",)),))


def t_rheum_visit(c: VisitContext) -> Visit:
    dx = (*c.patient.rheum, "Z79.899") if c.patient.biologic else c.patient.rheum
    lines = [DemoLine(c.em(rheum=True), pointers=_pointers(len(dx)))]
    if c.patient.biologic or c.rng.random() < 0.4:
        lines += [DemoLine("36415"), DemoLine("85025"), DemoLine("80053")]
    return Visit(RHEUMATOLOGIST, dx, tuple(lines))


def t_joint_injection(c: VisitContext) -> Visit:
    problem, side = c.rng.choice([("M17.11", "RT"), ("M17.12", "LT"), ("M19.011", "RT"), ("M25.561", "RT")])
    drug = c.rng.choice([DemoLine("J3301", units=4, drug=True), DemoLine("J0702", units=2, drug=True)])
    if problem.startswith("M17") and c.rng.random() < 0.4:
        drug = DemoLine("J7321", drug=True)
    procedure = DemoLine(c.rng.choice(("20610", "20610", "20611")), (side,))
    lines: tuple[DemoLine, ...] = (procedure, drug)
    dx: tuple[str, ...] = (problem,)
    if c.rng.random() < 0.25:  # and an injection into the muscle for back pain: 59 sets it apart from the joint
        dx += ("M54.50",)
        lines += (DemoLine("96372", ("59",), pointers="B"), DemoLine("J1885", units=2, pointers="B", drug=True))
    if c.rng.random() < 0.5:
        dx += tuple(code for code in c.patient.rheum[:1] if code not in dx)
        lines = (DemoLine(c.em(rheum=True), ("25",), pointers=_pointers(len(dx))), *lines)
    return Visit(RHEUMATOLOGIST, dx, lines)


def t_infusion(c: VisitContext) -> Visit:
    drug = "Q5103" if c.payer == PayerType.COMMERCIAL and c.patient.number % 2 else "J1745"
    modifiers = ("JZ",) if c.payer == PayerType.MEDICARE else ()
    dx = (c.patient.rheum[0], "Z79.899")
    lines = (DemoLine("96413", pointers="AB"), DemoLine("96415"), DemoLine(drug, modifiers, units=40, drug=True))
    return Visit(RHEUMATOLOGIST, dx, lines, prior_auth=f"PA{c.patient.number:04d}{c.dos:%m%y}")


def t_prolia(c: VisitContext) -> Visit:
    modifiers = ("JZ",) if c.payer == PayerType.MEDICARE else ()
    return Visit(RHEUMATOLOGIST, ("M81.0",), (DemoLine("96372"), DemoLine("J0897", modifiers, units=60, drug=True)))


TEMPLATES: dict[str, Callable[[VisitContext], Visit]] = {
    "office": t_office,
    "office_labs": t_office_labs,
    "labs_only": t_labs_only,
    "injection": t_injection,
    "vaccine": t_vaccine,
    "preventive": t_preventive,
    "ecg": t_ecg,
    "xray": t_xray,
    "procedure": t_procedure,
    "spirometry": t_spirometry,
    "telehealth": t_telehealth,
    "followup": t_followup,
    "rheum_visit": t_rheum_visit,
    "joint_injection": t_joint_injection,
    "infusion": t_infusion,
    "prolia": t_prolia,
}


# --- the mistakes billers make: (changed visit, what the reviewer tells them) or None when it cannot happen -----
Mistake = Callable[[VisitContext, Visit], "tuple[Visit, str] | None"]


def _replace_line(visit: Visit, index: int, **changes: Any) -> Visit:
    lines = list(visit.lines)
    lines[index] = replace(lines[index], **changes)
    return visit.with_lines(lines)


def _find(visit: Visit, test: Callable[[DemoLine], bool]) -> int | None:
    return next((i for i, line in enumerate(visit.lines) if test(line)), None)


def m_no_25(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: "25" in line.modifiers)
    if index is None:
        return None
    modifiers = tuple(m for m in visit.lines[index].modifiers if m != "25")
    return _replace_line(visit, index, modifiers=modifiers), "Add modifier 25 to the visit: it was a separate problem."


def m_no_59(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: bool({"59", "XS"} & set(line.modifiers)))
    if index is None:
        return None
    line = visit.lines[index]
    modifiers = tuple(m for m in line.modifiers if m not in ("59", "XS"))
    note = f"Add XS (or 59) to {line.code}: a separate site, documented in the note."
    return _replace_line(visit, index, modifiers=modifiers), note


def m_new_code_for_established(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: line.code in EM_EST)
    if index is None or not c.established:
        return None
    code = visit.lines[index].code
    new = EM_NEW[EM_EST.index(code)]
    return _replace_line(visit, index, code=new), f"The patient is established: bill {code}, not {new}."


def m_ndc_typo(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    if not any(line.drug for line in visit.lines):
        return None
    return replace(visit, ndc_typo=True), "The NDC does not match the drug code: copy it again from the vial."


def m_visit_units(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: line.code in EM_EST)
    if index is None:
        return None
    return _replace_line(visit, index, units=3), "Units keyed as 3: a visit is one unit."


def m_extra_units(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: line.code == "36415")
    if index is None:
        return None
    return _replace_line(visit, index, units=3), "One venipuncture per day: bill 36415 once."


def m_telehealth_no_95(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: "95" in line.modifiers)
    if index is None or visit.pos != "10":
        return None
    return _replace_line(visit, index, modifiers=()), "Add modifier 95 to the telehealth visit."


def m_component(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    """A code the other one includes (NCCI PTP, modifier indicator 1)."""
    for column1, column2 in (("93000", "93010"), ("80053", "82947"), ("94060", "94640"), ("20611", "76942")):
        if column1 in visit.codes():
            lines = [*visit.lines, DemoLine(column2)]
            return visit.with_lines(lines), f"{column1} includes {column2}: remove {column2}."
    return None


def m_coaching(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    if visit.specialty != INTERNIST or visit.pos != "11":
        return None
    lines = [*visit.lines, DemoLine("0591T")]
    return visit.with_lines(lines), "The plan does not pay Category III coaching (0591T): remove it."


def m_no_24(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: "24" in line.modifiers)
    if index is None:
        return None
    return _replace_line(visit, index, modifiers=()), "Unrelated visit in the global period: add modifier 24."


def m_dx_heading(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    if not c.diagnoses_checked:  # no code set of that fiscal year: the heading would go unnoticed
        return None
    for index, code in enumerate(visit.diagnoses):
        if code in DX_HEADING:
            diagnoses = list(visit.diagnoses)
            diagnoses[index] = DX_HEADING[code]
            return replace(visit, diagnoses=tuple(diagnoses)), f"{DX_HEADING[code]} is a heading: use {code}."
    # Else the category of a subdivided code: a heading in every edition (the code itself is below it).
    for index, code in enumerate(visit.diagnoses):
        if len(code.replace(".", "")) > 3:
            diagnoses = list(visit.diagnoses)
            diagnoses[index] = code[:3]
            return replace(visit, diagnoses=tuple(diagnoses)), f"{code[:3]} is a heading: use {code}."
    return None


def m_bad_pointer(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    letter = "ABCDEFGHIJKL"[len(visit.diagnoses)]
    index = len(visit.lines) - 1
    note = f"Line {index + 1} points at diagnosis {letter}, which is empty."
    return _replace_line(visit, index, pointers=letter), note


def m_medicaid_no_ndc(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: line.drug)
    if index is None or c.payer != PayerType.MEDICAID:
        return None
    return _replace_line(visit, index, drug=False), "Medicaid needs the NDC on every drug line: add it."


def m_no_jz(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: "JZ" in line.modifiers)
    if index is None:
        return None
    return _replace_line(visit, index, modifiers=()), "Add JZ: nothing was discarded from the single-dose vial."


def m_bundled(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    """A code the other one includes and no modifier separates (NCCI PTP, modifier indicator 0)."""
    codes = visit.codes()
    for column1, column2 in (("80053", "80048"), ("94060", "94010"), ("11721", "11720")):
        if column1 in codes:
            return visit.with_lines([*visit.lines, DemoLine(column2)]), f"{column1} includes {column2}: remove it."
    if codes == ["96372", "J3420"]:
        return visit.with_lines([DemoLine("99211"), *visit.lines]), "A nurse visit is not billed with the injection."
    if "80048" not in codes:  # both chemistry panels keyed from the lab order
        panels = [DemoLine("80053"), DemoLine("80048")]
        return visit.with_lines([*visit.lines, *panels]), "80053 includes 80048: remove it."
    return None


def m_units_over_mue(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: line.code in ("69210", "11721", "90686", "90715", "90662"))
    if index is None:
        return None
    code = visit.lines[index].code
    return _replace_line(visit, index, units=2), f"{code} is billed once a day (MUE 1): fix the units."


def m_vaccine_admin(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: line.code in ("G0008", "G0009"))
    if index is None:
        return None
    code = visit.lines[index].code
    return _replace_line(visit, index, code="90471"), f"Medicare pays {code} for this vaccine, not 90471."


def m_preventive_age(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    bands = [(low, high, new, known) for low, high, new, known in PREVENTIVE_BANDS]
    for index, line in enumerate(visit.lines):
        for position, (_, _, new, known) in enumerate(bands):
            if line.code in (new, known):
                neighbour = bands[position - 1] if position > 0 else bands[position + 1]
                wrong = neighbour[3] if line.code == known else neighbour[2]
                note = f"{wrong} is for another age group: the patient is {c.age}, bill {line.code}."
                return _replace_line(visit, index, code=wrong), note
    return None


def m_25_on_procedure(c: VisitContext, visit: Visit) -> tuple[Visit, str] | None:
    index = _find(visit, lambda line: "25" in line.modifiers)
    if index is None or index + 1 >= len(visit.lines) or visit.lines[index + 1].drug:
        return None
    changed = _replace_line(visit, index, modifiers=())
    following = visit.lines[index + 1]
    changed = _replace_line(changed, index + 1, modifiers=("25", *following.modifiers))
    return changed, "Modifier 25 belongs on the visit line, not on the procedure."


# Mistakes that change the same line: one per visit (99204 keyed for 99214 with 3 units is an error, not two
# warnings).
CONFLICTS = {"visit_units": ("new_code",), "new_code": ("visit_units",)}
# (name, weight, mistake): among the mistakes a visit allows, one is drawn by weight; the ones any visit allows
# weigh less, so the payer and coding mistakes show up on the dashboard too.
MISTAKES: dict[str, list[tuple[str, float, Mistake]]] = {
    "warning": [
        ("no_25", 3, m_no_25),
        ("no_59", 4, m_no_59),
        ("new_code", 2, m_new_code_for_established),
        ("ndc_typo", 3, m_ndc_typo),
        ("extra_units", 2, m_extra_units),
        ("visit_units", 0.5, m_visit_units),
        ("telehealth", 3, m_telehealth_no_95),
        ("component", 3, m_component),
        ("coaching", 1, m_coaching),
        ("no_24", 4, m_no_24),
    ],
    "error": [
        ("dx_heading", 1.2, m_dx_heading),
        ("bad_pointer", 0.8, m_bad_pointer),
        ("medicaid_ndc", 5, m_medicaid_no_ndc),
        ("no_jz", 4, m_no_jz),
        ("bundled", 3, m_bundled),
        ("mue", 3, m_units_over_mue),
        ("vaccine_admin", 4, m_vaccine_admin),
        ("preventive_age", 4, m_preventive_age),
        ("25_on_procedure", 3, m_25_on_procedure),
    ],
}


# Typing mistakes whose findings cannot be sent on with a reason (services.MUST_FIX_RULES): only billers who
# correct them make them in the demo.
MUST_FIX_MISTAKES = {"bad_pointer"}


def demo_codes() -> set[str]:
    """Every procedure code the demo can key: they must be in the reference data."""
    return set(CHARGES)


# --- preconditions ------------------------------------------------------------------------------------------
class DemoUnavailable(Exception):
    """Something the demo needs is missing; the message says what and which command loads it."""


def starter_missing() -> list[str]:
    """What of the reference data the demo relies on is missing (codes, edit tables), in words."""
    problems = []
    codes = demo_codes()
    found = set(ProcedureCode.objects.filter(code__in=codes).values_list("code", flat=True))
    if codes - found:
        listed = ", ".join(sorted(codes - found)[:6])
        problems.append(f"{len(codes - found)} of the {len(codes)} procedure codes the demo uses ({listed} …)")
    sources = {Source.PTP_PRACTITIONER: "NCCI PTP edits", Source.MUE_PRACTITIONER: "MUE limits",
               Source.NDC_CROSSWALK: "the NDC-HCPCS crosswalk"}  # fmt: skip
    loaded = set(Release.objects.filter(source__in=list(sources)).values_list("source", flat=True))
    problems += [label for source, label in sources.items() if source not in loaded]
    return problems


# The rest of the CMS-1500, fictitious and derived from the patient's and the encounter's numbers (no draw from
# the story's random generator, so the story stays the same): box 5 on a demo street with a 555-01xx phone
# number (reserved for fiction), a spouse's plan for some commercial patients, a Medigap plan as the other
# insurance of some Medicare patients, the internist referring to the rheumatologist, an onset date, now and
# then an accident, and the practice's account number. Box 33 comes from the demo billing provider.
DEMO_FACILITY = {
    "facility_name": "Demo Community Hospital Outpatient",
    "facility_address_line1": "400 Demo Hospital Drive",
    "facility_city": "Springfield",
    "facility_state": "IL",
    "facility_zip_code": "627020001",
    "facility_npi": "1987654328",
}


def fill_cms1500_boxes(claim: Claim, encounter: Encounter, visit: Visit, payers: dict[str, Payer]) -> None:
    patient, number = encounter.patient, encounter.patient.number
    claim.patient_address_line1 = f"{100 + number} Demo Street"
    claim.patient_city, claim.patient_state = "Springfield", "IL"
    claim.patient_zip_code = f"627{number % 90 + 1:02d}"
    claim.patient_phone = f"21755501{number % 100:02d}"
    claim.patient_account_number = f"DEMO-{encounter.number:05d}"
    commercial = patient.payer_type == PayerType.COMMERCIAL
    claim.patient_relationship = Relationship.SPOUSE if commercial and number % 4 == 0 else Relationship.SELF
    if claim.patient_relationship == Relationship.SPOUSE:  # the spouse holds the plan, at the same address
        claim.insured_last_name, claim.insured_first_name = patient.last_name, "Spouse"
        claim.insured_dob = patient.date_of_birth - timedelta(days=700)
        claim.insured_sex = "M" if patient.sex == "F" else "F"
        for part in ("address_line1", "address_line2", "city", "state", "zip_code"):
            setattr(claim, f"insured_{part}", getattr(claim, f"patient_{part}"))
    claim.insured_group_number = f"DEMO-GRP-{number % 7 + 1:02d}" if commercial else ""
    claim.insured_plan_name = payers[patient.payer_type].name
    medigap = patient.payer_type == PayerType.MEDICARE and number % 5 == 0
    claim.has_other_plan = medigap
    claim.other_insured_last_name = patient.last_name if medigap else ""
    claim.other_insured_first_name = FIRST_NAME if medigap else ""
    claim.other_insured_member_id = f"MGAP{number:06d}" if medigap else ""
    claim.other_insured_group_number = "DEMO-MEDIGAP-G" if medigap else ""
    claim.other_insured_plan_name = "Demo Medigap Plan G" if medigap else ""
    claim.secondary_payer = payers[PayerType.COMMERCIAL] if medigap else None
    referred = visit.specialty == RHEUMATOLOGIST
    claim.referring_qualifier = ReferringQualifier.REFERRING if referred else ""
    claim.referring_last_name, claim.referring_first_name = ("Internist", "Demo") if referred else ("", "")
    claim.referring_npi = PROVIDER_NPIS[INTERNIST] if referred else ""
    claim.auto_accident = encounter.number % 97 == 0
    # Box 14 on every third claim, and on every accident (the 837P carries it as the accident date, DTP*439).
    onset = (encounter.number % 3 == 0 or claim.auto_accident) and encounter.dos is not None
    claim.current_illness_date = encounter.dos - timedelta(days=3 + encounter.number % 10) if onset else None
    claim.current_illness_qualifier = IllnessDateQualifier.ONSET if onset else ""
    claim.auto_accident_state = "IL" if claim.auto_accident else ""
    claim.additional_info = "Auto accident; claim with the auto insurer denied" if claim.auto_accident else ""
    for name, value in DEMO_FACILITY.items():  # box 32 when the services were not at the office
        setattr(claim, name, value if visit.pos != "11" else "")


def prerequisites() -> tuple[dict[str, Payer], dict[str, Provider]]:
    """The payers and providers the demo bills with; ``DemoUnavailable`` naming what to load first."""
    missing = starter_missing()
    if missing:
        raise DemoUnavailable(
            f"the starter reference data is missing: {'; '.join(missing)}. Run `manage.py load_starter_data` "
            "(or `make starter`) first; nothing was loaded."
        )
    names = {name: payer_type for name, payer_type, _ in STARTER_PAYERS}
    payers = {p.payer_type: p for p in Payer.objects.filter(name__in=names) if p.payer_type == names[p.name]}
    if len(payers) < len(names):
        absent = ", ".join(name for name, payer_type in names.items() if payer_type not in payers)
        raise DemoUnavailable(
            f"the starter payers are missing ({absent}): run `manage.py load_starter_payers` first; nothing was loaded."
        )
    User = get_user_model()
    accounts = {username for username, *_ in DEMO_ACCOUNTS if username != "admin"}
    present = set(User.objects.filter(username__in=accounts).values_list("username", flat=True))
    if accounts - present:
        raise DemoUnavailable(
            f"the demo accounts are missing ({', '.join(sorted(accounts - present))}): run "
            "`manage.py create_demo_users` first; nothing was loaded."
        )
    npis = [npi for _, _, npi, _ in DEMO_PROVIDERS]
    providers = {p.npi: p for p in Provider.objects.filter(npi__in=npis)}
    if len(providers) < len(npis):
        absent = ", ".join(name for name, _, npi, _ in DEMO_PROVIDERS if npi not in providers)
        raise DemoUnavailable(
            f"the demo providers are missing ({absent}): run `manage.py load_demo_providers` first; nothing was loaded."
        )
    return payers, providers


def demo_claims():
    return Claim.objects.filter(member_id__startswith=MEMBER_PREFIX)


def demo_staff() -> dict[str, Any]:
    """The demo accounts and the extra billers and supervisor (created when missing, never changed)."""
    roles_ensure()
    User = get_user_model()
    for username, first, last, group in DEMO_STAFF:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "is_staff": group == SUPERVISORS}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=group))
    names = [name for name, _ in BILLERS] + list(REVIEWERS)
    return {user.username: user for user in User.objects.filter(username__in=names)}


# --- playing the story --------------------------------------------------------------------------------------
@dataclass
class ClaimTrack:
    """One claim as it is played: its encounter, the visit it holds now, and the story's times."""

    encounter: Encounter
    pk: int = 0
    visit: Visit | None = None
    created: datetime | None = None
    first_checked: datetime | None = None
    checked: datetime | None = None
    returns: int = 0

    def checked_at(self, at: datetime) -> None:
        self.first_checked = self.first_checked or at
        self.checked = at


@dataclass
class Summary:
    claims: int = 0
    patients: int = 0
    statuses: Counter = field(default_factory=Counter)
    waiting: Counter = field(default_factory=Counter)
    risks: Counter = field(default_factory=Counter)

    def text(self) -> str:
        statuses = ", ".join(f"{status} {self.statuses[status]}" for status in ClaimStatus.values)
        risks = ", ".join(f"{risk} {self.risks[risk]}" for risk in Risk.values)
        reasons = ", ".join(
            f"{count} {QueueReason(reason).label.lower()}" for reason, count in sorted(self.waiting.items())
        )
        return (
            f"loaded {self.claims} demo claims for {self.patients} demo patients: {statuses} "
            f"(risk: {risks}, not checked {self.risks['']}); "
            f"{sum(self.waiting.values())} waiting for review ({reasons or 'none'})"
        )


class Loader:
    """Plays the planned encounters through the services, in the order of the story's time."""

    def __init__(self, encounters: list[Encounter], *, users: dict[str, Any], payers: dict[str, Payer],
                 providers: dict[str, Provider], now: datetime, seed: int = SEED):  # fmt: skip
        self.encounters = encounters
        self.users = users
        self.payers = payers
        self.providers = providers
        self.now = now
        self.rng = random.Random(seed + 1)
        self.settings = ReviewSettings.current()
        self.tracks: list[ClaimTrack] = []
        self.queued: dict[int, datetime] = {}  # review pk -> when it entered the queue (story time)
        self._events: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self._order = itertools.count()
        self._assignees = itertools.cycle(["supervisor", "supervisor.dana", None])

    # the clock -------------------------------------------------------------------------------------------------
    def at(self, when: datetime, action: Callable[[datetime], None]) -> None:
        heapq.heappush(self._events, (when, next(self._order), action))

    def run(self) -> None:
        for encounter in self.encounters:
            track = ClaimTrack(encounter)
            self.tracks.append(track)
            self.at(encounter.entered_at, lambda when, track=track: self.enter(track, when))
        while self._events:
            when, _, action = heapq.heappop(self._events)
            if when <= self.now:  # what would happen later has not happened yet
                action(when)
        self.backdate()

    def later(self, when: datetime, low_minutes: float, high_minutes: float) -> datetime:
        return when + timedelta(minutes=self.rng.uniform(low_minutes, high_minutes))

    # the biller ------------------------------------------------------------------------------------------------
    def save(self, track: ClaimTrack, visit: Visit, user) -> Claim:
        encounter = track.encounter
        provider = self.providers[PROVIDER_NPIS[visit.specialty]]
        if track.pk:
            claim = Claim.objects.get(pk=track.pk)
        else:
            claim = Claim(payer=self.payers[encounter.patient.payer_type])
        claim.billing_npi = BILLING_NPI
        claim.rendering_npi, claim.rendering_specialty = provider.npi, provider.specialty
        claim.group_tin = provider.group_tin
        claim.place_of_service, claim.date_of_service = visit.pos, encounter.dos
        claim.diagnoses, claim.prior_auth_number = list(visit.diagnoses), visit.prior_auth
        fill_cms1500_boxes(claim, encounter, visit, self.payers)
        claim = services.claim_save(
            claim=claim,
            lines=visit.claim_lines(),
            patient=encounter.patient.entered(),
            user=user,
            version=claim.version if track.pk else None,
        )
        track.pk, track.visit = claim.pk, visit
        return claim

    def check(self, track: ClaimTrack, user, when: datetime) -> CheckResult:
        result = services.claim_check(claim=Claim(pk=track.pk), user=user, today=when.date())
        track.checked_at(when)
        return result

    def enter(self, track: ClaimTrack, when: datetime) -> None:
        encounter = track.encounter
        user = self.users[encounter.biller]
        self.save(track, encounter.visit, user)
        track.created = when
        if encounter.fate == "draft":
            return
        when = self.later(when, 2, 9)
        result = self.check(track, user, when)
        if encounter.fate == "checked":
            if encounter.attempt and result.errors:  # sent without reasons: refused, the claim stays checked
                with contextlib.suppress(services.UnacknowledgedFindings):
                    self.submit(track, user, self.later(when, 1, 3), overrides={})
            return
        if encounter.fate == "void_dup":
            original = next(t for t in self.tracks if t.encounter is encounter.duplicate_of)
            keyed_by = self.users[encounter.duplicate_of.biller]
            reason = (
                f"Duplicate: this visit was already billed on CLM-{original.pk:06d} "
                f"({keyed_by.get_full_name() or keyed_by.get_username()})."
            )
            services.claim_void(claim=Claim(pk=track.pk), user=user, reason=reason)
            return
        if encounter.fix and encounter.visit != encounter.clean and result.findings:
            when = self.later(when, 3, 15)
            self.save(track, encounter.clean, user)
            result = self.check(track, user, when)
        self.send(track, user, self.later(when, 1, 6), result, sample=encounter.sample, plan=encounter.review)
        if encounter.fate == "void_sup":
            self.at(self.later(when, 60 * 24 * 2, 60 * 24 * 9), lambda moment: self.void(track, moment))

    def overrides(self, track: ClaimTrack, result: CheckResult) -> dict[str, str]:
        """Reasons for every error, and for the warnings when the biller acknowledges them."""
        acknowledge = track.encounter.acknowledge
        return {
            services.finding_key(f): OVERRIDE_REASONS.get(f.rule, GENERIC_REASON)
            for f in result.findings
            if f.severity == Severity.ERROR or (acknowledge and f.severity == Severity.WARNING)
        }

    def draw(self, risk: str, sample: bool) -> Callable[[], float]:
        """The sampling draws, decided here so the demo is the same on every run (and explains itself)."""
        risk_chance, random_chance = services.sampling_chances(risk, self.settings)
        if sample and risk_chance > 0:
            values = [self.rng.uniform(0, risk_chance)]
        elif sample and random_chance > 0:
            values = [self.rng.uniform(risk_chance, 1), self.rng.uniform(0, random_chance)]
        else:
            values = [self.rng.uniform(risk_chance, 1), self.rng.uniform(random_chance, 1)]
        draws = iter(values)
        return lambda: next(draws, 0.9999)

    def submit(self, track: ClaimTrack, user, when: datetime, *, overrides: dict[str, str], sample: bool = False):
        claim = services.claim_submit(
            claim=Claim(pk=track.pk),
            user=user,
            overrides=overrides,
            today=when.date(),
            draw=self.draw(Claim.objects.values_list("risk", flat=True).get(pk=track.pk), sample),
        )
        track.checked_at(when)
        return claim

    def send(self, track: ClaimTrack, user, when: datetime, result, *, sample: bool | None, plan: str) -> None:
        if sample is None:
            sample = self.rng.random() < {"none": 0.05, "low": 0.2, "medium": 0.4}.get(result.risk, 0)
        claim = self.submit(track, user, when, overrides=self.overrides(track, result), sample=sample)
        if not claim.queue_reason:
            return
        review = claim_open_review(claim)
        self.queued[review.pk] = when
        age = (self.now - when) / timedelta(days=1)
        if not plan:  # the newer, the likelier it still waits; nothing waits for weeks
            if age < 2:
                plan = "open"
            elif age < 7:
                plan = self.rng.choices(["open", "approve", "return"], [70, 20, 10])[0]
            elif age < 21:
                plan = self.rng.choices(["open", "approve", "return"], [40, 45, 15])[0]
            else:
                plan = self.rng.choices(["approve", "return"], [80, 20])[0]
            if claim.queue_reason == QueueReason.RESUBMITTED and plan == "return":
                plan = "approve"  # the fix the reviewer asked for was made
        if plan == "open":
            assignee = track.encounter.assignee if track.encounter.required else next(self._assignees)
            if assignee:
                self.at(self.later(when, 20, 300), lambda moment: self.assign(track, assignee, moment))
            return
        reviewer = self.rng.choice(REVIEWERS)
        if self.rng.random() < 0.6:
            self.at(self.later(when, 20, 300), lambda moment: self.assign(track, reviewer, moment))
        self.at(self.later(when, 60 * 8, 60 * 24 * 3), lambda moment: self.decide(track, plan, reviewer, moment))

    # the supervisors ---------------------------------------------------------------------------------------------
    def assign(self, track: ClaimTrack, assignee: str, when: datetime) -> None:
        lead = self.users["supervisor"]
        services.review_assign(claims=[Claim.objects.get(pk=track.pk)], assignee=self.users[assignee], user=lead)

    def decide(self, track: ClaimTrack, plan: str, reviewer_name: str, when: datetime) -> None:
        reviewer = self.users[reviewer_name]
        claim = Claim.objects.get(pk=track.pk)
        review = claim_open_review(claim)
        if review is None:
            return
        overrides = [f for f in review.snapshot.data["findings"] if f.get("override")]
        errors = [f for f in overrides if f["severity"] == Severity.ERROR]
        rejected = next((f for f in errors if f["rule"] not in ACCEPTED_RULES), None)
        if plan == "approve" and rejected is None:
            for finding in overrides:
                note = ACCEPT_NOTES.get(finding["rule"], "")
                services.override_decide(
                    claim=claim, user=reviewer, finding_key=finding["key"], decision=OverrideDecisionChoice.ACCEPTED,
                    note=note,
                )  # fmt: skip
            services.review_approve(claim=claim, user=reviewer, note=self.rng.choice(APPROVE_NOTES))
            return
        # Return it: reject the override that cannot stand (or the first), say what to fix.
        rejected = rejected or next(iter(errors), None)
        for finding in overrides:
            if finding is rejected:
                note = REJECT_NOTES.get(finding["rule"], "The reason does not support sending it as it is.")
                decision = OverrideDecisionChoice.REJECTED
            else:
                note, decision = "", OverrideDecisionChoice.ACCEPTED
            services.override_decide(
                claim=claim, user=reviewer, finding_key=finding["key"], decision=decision, note=note
            )
        fix, note = self.correction(track)
        if plan == "return_wait" or track.encounter.mistake == "late":
            fix = None
        services.review_return(claim=claim, user=reviewer, note=note)
        track.returns += 1
        if fix is not None and track.returns == 1:  # sent again once; a second return waits for the biller
            self.at(self.later(when, 60 * 3, 60 * 24 * 2), lambda moment: self.resubmit(track, fix, moment))

    def correction(self, track: ClaimTrack) -> tuple[Visit | None, str]:
        """What the reviewer asks for and what the biller changes: the keyed mistake, else a lower visit level."""
        encounter, visit = track.encounter, track.visit
        if encounter.mistake == "late":
            return None, REJECT_NOTES["TF-LIMIT"]
        if visit != encounter.clean and encounter.return_note:
            return encounter.clean, encounter.return_note
        index = _find(visit, lambda line: line.code in ("99214", "99215", "99204", "99205"))
        if index is not None:
            code = visit.lines[index].code
            lower = str(int(code) - 1)
            note = f"The note supports {lower}, not {code}: correct the visit level and send it again."
            return _replace_line(visit, index, code=lower), note
        return None, "Please attach the signed order for these services; send it again when you have it."

    def resubmit(self, track: ClaimTrack, visit: Visit, when: datetime) -> None:
        user = self.users[track.encounter.biller]
        self.save(track, visit, user)
        result = self.check(track, user, when)
        self.send(track, user, self.later(when, 1, 5), result, sample=False, plan="")

    def void(self, track: ClaimTrack, when: datetime) -> None:
        claim = Claim.objects.get(pk=track.pk)
        if claim.queue_reason or claim.status == ClaimStatus.VOIDED:
            return
        supervisor = self.users[self.rng.choice(REVIEWERS)]
        services.claim_void(claim=claim, user=supervisor, reason=self.rng.choice(VOID_REASONS))

    # the story's times ----------------------------------------------------------------------------------------
    def backdate(self) -> None:
        """Move the plain timestamps the dashboard and the queue read to the story's times (audit events and
        snapshots keep their real ones)."""
        for track in self.tracks:
            times = {"created_at": track.created}
            if track.first_checked:
                times |= {"first_checked_at": track.first_checked, "checked_at": track.checked}
            Claim.objects.filter(pk=track.pk).update(**times)
        for pk, when in self.queued.items():
            ClaimReview.objects.filter(pk=pk).update(created_at=when)


def load(count: int = DEFAULT_COUNT, *, seed: int = SEED, now: datetime | None = None) -> Summary:
    """Plan and load the demo claims in one transaction; ``DemoUnavailable`` when a prerequisite is missing."""
    if count < MINIMUM_COUNT:
        raise DemoUnavailable(f"the demo needs at least {MINIMUM_COUNT} claims to tell its stories (got {count}).")
    now = now or timezone.now()
    with transaction.atomic():
        payers, providers = prerequisites()
        users = demo_staff()
        planner = Planner(count, seed=seed, now=now)
        patients = planner.patients()
        encounters = planner.encounters(patients)
        Loader(encounters, users=users, payers=payers, providers=providers, now=now, seed=seed).run()
    claims = demo_claims()
    summary = Summary(
        claims=claims.count(),
        patients=Patient.objects.filter(member_id__startswith=MEMBER_PREFIX).count(),
        statuses=Counter(claims.values_list("status", flat=True)),
        risks=Counter(claims.values_list("risk", flat=True)),
    )
    summary.waiting = Counter(ClaimReview.objects.filter(outcome="", claim__in=claims).values_list("reason", flat=True))
    return summary
