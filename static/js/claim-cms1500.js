/* The rest of the CMS-1500 on the entry page (templates/claims/_entry_cms1500.html). No framework.
   - Relationship "self" (box 6) hides the insured's boxes 4, 7 and 11a and keeps them equal to the patient's;
     another relationship shows them, empty for the insured's own data.
   - 11d "yes" shows the other plan's boxes (9, 9a, 9d); an auto accident (10b) shows its state.
   - A known patient picked above fills box 5 (address and phone) from the patient's record.
   - A billing NPI (picked or typed) of one of the practice's providers fills box 33 where it is blank.
   - The payer picked shows its electronic payer ID and address (kept on the payer, not keyed on the claim).
   The server does the same copying on save, so nothing depends on this script. */
(function () {
  "use strict";
  const form = document.getElementById("claim-form");
  const root = form && form.querySelector("[data-cms1500]");
  if (!root) return;
  const SELF = "18";
  const ADDRESS = ["address_line1", "address_line2", "city", "state", "zip_code"];
  const INSURED_FROM_PATIENT = {
    insured_last_name: "patient_last_name",
    insured_first_name: "patient_first_name",
    insured_dob: "patient_dob",
    insured_sex: "patient_sex",
  };
  ADDRESS.forEach(function (part) { INSURED_FROM_PATIENT["insured_" + part] = "patient_" + part; });

  function field(name) { return form.elements.namedItem(name); }
  function group(name) { return root.querySelector('[data-cms1500-group="' + name + '"]'); }
  function dataName(part) { return part.replace(/_/g, "-"); }

  function set(name, value, onlyIfEmpty) {
    const target = field(name);
    if (!target || target.value === value || (onlyIfEmpty && target.value)) return;
    target.value = value;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function openSection(element) {
    const section = element && element.closest("details");
    if (section) section.open = true;
  }

  function insuredIsPatient() {
    const relationship = field("patient_relationship");
    return !relationship || !relationship.value || relationship.value === SELF;
  }

  function copyPatientToInsured() {
    if (!insuredIsPatient()) return;
    Object.keys(INSURED_FROM_PATIENT).forEach(function (insured) {
      const source = field(INSURED_FROM_PATIENT[insured]);
      const target = field(insured);
      if (source && target) target.value = source.value; // no event: the server copies them too
    });
  }

  function refreshGroups() {
    const insured = group("insured");
    if (insured) insured.hidden = insuredIsPatient();
    const other = group("other-plan");
    const hasOther = field("has_other_plan");
    if (other && hasOther) other.hidden = !hasOther.checked;
    const state = group("accident-state");
    const auto = field("auto_accident");
    if (state && auto) state.hidden = !auto.checked;
  }

  form.addEventListener("change", function (event) {
    const name = event.target.name;
    if (name === "patient_relationship") {
      if (!insuredIsPatient()) {
        Object.keys(INSURED_FROM_PATIENT).forEach(function (insured) { set(insured, ""); });
        openSection(group("insured"));
      }
      copyPatientToInsured();
    }
    if (name === "billing_npi") fillBilling(event.target.value.trim());
    if (name === "payer") showPayer();
    refreshGroups();
  });
  form.addEventListener("input", function (event) {
    if (event.target.name in INSURED_FROM_PATIENT || Object.values(INSURED_FROM_PATIENT).includes(event.target.name)) {
      copyPatientToInsured();
    }
  });

  // Box 33 from the practice's provider of the billing NPI: fills the boxes left blank.
  function fillBilling(npi) {
    const template = document.getElementById("cms1500-providers");
    const provider = template && npi && template.content.querySelector('[data-npi="' + npi + '"]');
    if (!provider) return;
    set("billing_name", provider.dataset.name || "", true);
    const hasAddress = ADDRESS.some(function (part) { return field("billing_" + part).value; });
    if (!hasAddress) {
      ADDRESS.forEach(function (part) { set("billing_" + part, provider.getAttribute("data-" + dataName(part)) || ""); });
    }
    set("billing_phone", provider.dataset.phone || "", true);
  }
  // The provider picker sets the NPI with input/change events of its own: they reach the listener above.

  // The payer's electronic ID and address, shown (not keyed: they are the payer's, kept in the admin).
  function showPayer() {
    const info = root.querySelector("[data-cms1500-payer-info]");
    const payer = field("payer");
    const template = document.getElementById("cms1500-payers");
    if (!info || !payer || !template) return;
    const record = payer.value && template.content.querySelector('[data-payer="' + payer.value + '"]');
    if (!record) { info.textContent = ""; return; }
    let text = "Payer ID " + (record.dataset.payerId || "not set");
    if (record.dataset.city) {
      text += " · " + record.getAttribute("data-address-line1") + ", " + record.dataset.city + ", " +
        record.dataset.state + " " + record.getAttribute("data-zip-code");
    }
    info.textContent = text;
  }

  // A known patient picked (click, or Enter on the highlighted option) fills box 5 from the patient's record.
  function fillPatientContact(option) {
    ADDRESS.concat(["phone"]).forEach(function (part) {
      set("patient_" + part, option.getAttribute("data-" + dataName(part)) || "");
    });
    copyPatientToInsured();
  }
  document.addEventListener("click", function (event) {
    const option = event.target.closest && event.target.closest(".patient-suggestions [data-patient-option]");
    if (option) fillPatientContact(option);
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches("[data-patient-search]")) return;
    const option = document.querySelector('.patient-suggestions [data-patient-option][aria-selected="true"]');
    if (option) fillPatientContact(option);
  }, true);

  copyPatientToInsured();
  refreshGroups();
  showPayer();
})();
