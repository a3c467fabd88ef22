"""Dose, route and NOC parsing on real HCPCS Level II descriptors (January 2026 file)."""

from decimal import Decimal

import pytest

from codes.choices import DrugRoute
from codes.importers.descriptors import is_noc, parse_drug_dose, parse_drug_route


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("Injection, dexamethasone sodium phosphate, 1 mg", "1", "mg"),
        ("Injection, triamcinolone acetonide, not otherwise specified, 10 mg", "10", "mg"),
        ("Injection, onabotulinumtoxina, 1 unit", "1", "unit"),
        ("Injection, meperidine hydrochloride, per 100 mg", "100", "mg"),
        ("Injection, filgrastim-sndz, biosimilar, (zarxio), 1 microgram", "1", "mcg"),
        ("Injection, gadoterate meglumine, 0.1 ml", "0.1", "ml"),
        ("Injection, penicillin g benzathine, 100,000 units", "100000", "unit"),
        ("Injection, chorionic gonadotropin, per 1,000 usp units", "1000", "unit"),
        ("Insulin (fiasp), per 5 units", "5", "unit"),
        ("Injection, aminocaproic acid, 1 gram", "1", "g"),
        ("Injection, ampicillin sodium/sulbactam sodium, per 1.5 gm", "1.5", "g"),
        ("Infusion, normal saline solution, 250 cc", "250", "ml"),
        ("Injection, protein c concentrate, intravenous, human, 10 iu", "10", "iu"),
        ("Prothrombin complex concentrate (human), kcentra, per i.u. of factor ix activity", "1", "iu"),
        ("Injection, potassium chloride, per 2 meq", "2", "meq"),
        ("Radium ra-223 dichloride, therapeutic, per microcurie", "1", "uci"),
        ("Low osmolar contrast material, 300-399 mg/ml iodine concentration, per ml", "1", "ml"),
        ("Injection, droperidol, up to 5 mg", "5", "mg"),
        ("Injection, thyrotropin alpha, 0.9 mg, provided in 1.1 mg vial", "0.9", "mg"),
        ("Injection, rho d immune globulin, human, full dose, 300 micrograms (1500 i.u.)", "300", "mcg"),
        ("Injection, aztreonam/avibactam, 7.5 mg/2.5 mg (10 mg)", "10", "mg"),
        ("Injection, piperacillin sodium/tazobactam sodium, 1 gram/0.125 grams (1.125 grams)", "1.125", "g"),
        ("Carbidopa 5 mg/levodopa 20 mg enteral suspension, 100 ml", "100", "ml"),
        ("Infusion, normal saline solution, sterile (500 ml = 1 unit)", "500", "ml"),
        ("Ondansetron 1 mg, oral, fda approved prescription anti-emetic, for use as a complete therapeutic", "1", "mg"),
        (
            "Treprostinil, inhalation solution, fda-approved final product, non-compounded, administered through "
            "dme, unit dose form, 1.74 mg",
            "1.74",
            "mg",
        ),
    ],
)
def test_parse_drug_dose(text, amount, unit):
    assert parse_drug_dose(text) == (Decimal(amount), unit)


def test_parse_drug_dose_amount_is_plain_decimal():
    amount, _ = parse_drug_dose("Injection, triamcinolone acetonide, not otherwise specified, 10 mg")
    assert str(amount) == "10"  # not 1E+1


@pytest.mark.parametrize(
    "text",
    [
        "Unclassified drugs",
        "Injection, hyaluronan or derivative, gel-one, for intra-articular injection, per dose",
        "Injection, cytomegalovirus immune globulin intravenous (human), per vial",
        "Capsaicin 8% patch, per square centimeter",
        "Administration of influenza virus vaccine",
        "",
    ],
)
def test_parse_drug_dose_none(text):
    assert parse_drug_dose(text) is None


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("Injection, dexamethasone sodium phosphate, 1 mg", DrugRoute.INJECTION),
        ("Prescription drug, oral, non chemotherapeutic, nos", DrugRoute.ORAL),
        ("Infusion, normal saline solution, 250 cc", DrugRoute.INFUSION),
        ("Albuterol, inhalation solution, fda-approved final product, non-compounded, per mg", DrugRoute.INHALATION),
        ("Injection, fluocinolone acetonide, intravitreal implant (retisert), 0.01 mg", DrugRoute.INTRAVITREAL),
        ("Injection, baclofen, 50 mcg for intrathecal trial", DrugRoute.INTRATHECAL),
        ("Histrelin implant (supprelin la), 50 mg", DrugRoute.IMPLANT),
        ("Mitomycin, ophthalmic, 0.2 mg", DrugRoute.OPHTHALMIC),
        ("Contraceptive supply, hormone containing vaginal ring, each", DrugRoute.VAGINAL),
        ("Topical anesthetic, for dialysis, per gram", DrugRoute.TOPICAL),
        ("Injectable anesthetic, for dialysis, per 10 ml", DrugRoute.INJECTION),
        ("Unclassified drugs", ""),
        ("", ""),
    ],
)
def test_parse_drug_route(text, route):
    assert parse_drug_route(text) == route


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prescription drug, oral, non chemotherapeutic, nos", True),
        ("Unclassified drugs", True),
        ("Injection, triamcinolone acetonide, not otherwise specified, 10 mg", True),
        ("Hemophilia clotting factor, not otherwise classified", True),
        ("Unlisted ambulance service", True),
        ("Durable medical equipment, miscellaneous", True),
        ("Accessory for gradient compression garment or wrap with adjustable straps, not-otherwise specified", True),
        ("Drugs unclassified injection", True),
        ("Injection, dexamethasone sodium phosphate, 1 mg", False),
        # quality measures state a reason, they are not NOC codes; "nsclc-nos" is a diagnosis
        ("Dilated macular exam was not performed, reason not otherwise specified", False),
        ("Specimen site other than anatomic location of lung, or classified as nsclc-nos", False),
        ("", False),
    ],
)
def test_is_noc(text, expected):
    assert is_noc(text) is expected
