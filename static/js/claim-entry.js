/* Claim entry: add and remove lines, keep line numbers and diagnosis pointers current, and run the live
   check (htmx posts the form to the server, debounced) after any change. No framework. */
(function () {
  "use strict";
  const form = document.getElementById("claim-form");
  if (!form) return;
  const lines = document.getElementById("lines");
  const template = document.getElementById("line-template");
  const total = form.querySelector('input[name="lines-TOTAL_FORMS"]');
  const DEBOUNCE_MS = 500;
  form.classList.remove("no-js");
  let timer = null;

  function liveCheck() {
    clearTimeout(timer);
    timer = setTimeout(function () { htmx.trigger(form, "live-check"); }, DEBOUNCE_MS);
  }

  function visibleLines() {
    return Array.from(lines.querySelectorAll(".claim-line")).filter(function (line) { return !line.hidden; });
  }

  function renumber() {
    visibleLines().forEach(function (line, index) {
      line.dataset.line = String(index + 1);
      const label = line.querySelector(".line-number");
      if (label) label.textContent = String(index + 1);
    });
  }

  function diagnoses() {
    const found = {};
    form.querySelectorAll(".diagnosis-input").forEach(function (input) {
      const value = input.value.trim().toUpperCase();
      if (value) found[input.dataset.letter] = value;
    });
    return found;
  }

  // Pointer pickers offer the diagnoses entered in box 21: "A · J45.909"; letters without one are disabled.
  function refreshPointers(scope) {
    const found = diagnoses();
    (scope || form).querySelectorAll(".pointer-select").forEach(function (select) {
      Array.from(select.options).forEach(function (option) {
        if (!option.value) return;
        const code = found[option.value];
        option.textContent = code ? option.value + " · " + code : option.value;
        option.disabled = !code && !option.selected;
      });
    });
  }

  // Drug fields are shown without JavaScript; with it, only on drug lines (or where something is entered).
  function hideMarkedDrugFields(scope) {
    scope.querySelectorAll(".drug-fields[data-drug-hidden]").forEach(function (drug) {
      drug.removeAttribute("data-drug-hidden");
      showDrugFields(drug.closest(".claim-line"), false);
    });
  }

  function showDrugFields(line, show) {
    const drug = line.querySelector(".drug-fields");
    if (!drug) return;
    const filled = Array.from(drug.querySelectorAll("input, select")).some(function (field) { return field.value; });
    drug.hidden = !(show || filled);
  }

  function addLine() {
    const index = parseInt(total.value, 10);
    const max = parseInt(form.querySelector('input[name="lines-MAX_NUM_FORMS"]').value, 10);
    if (visibleLines().length >= max) {
      window.alert("A claim holds at most " + max + " lines; start a second claim for the rest.");
      return;
    }
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const line = holder.firstElementChild;
    lines.appendChild(line);
    total.value = String(index + 1);
    htmx.process(line);
    hideMarkedDrugFields(line);
    refreshPointers(line);
    renumber();
    const first = line.querySelector(".code-input");
    if (first) first.focus();
  }

  function removeLine(line) {
    const remove = line.querySelector('input[name$="-DELETE"]');
    if (remove) remove.checked = true;
    line.hidden = true;
    line.dataset.deleted = "1";
    line.removeAttribute("data-line");
    renumber();
    const next = visibleLines()[0];
    const focusTarget = next ? next.querySelector(".code-input") : document.getElementById("add-line");
    if (focusTarget) focusTarget.focus();
    liveCheck();
  }

  // Enter in a field never submits the form: the form's first submit button is the hidden no-JavaScript
  // "Add line", so the browser's implicit submission would reload the page with an empty line more. Buttons,
  // links and text areas keep their Enter; the comboboxes (autocomplete.js) pick the highlighted option.
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) return;
    const target = event.target;
    if ((target.tagName === "INPUT" && target.form === form) || target.tagName === "SELECT") event.preventDefault();
  });

  // The sticky Save/Check/Submit bar must never cover the focused field: CSS scroll-padding-bottom keeps the
  // browser's own scrolling clear of it; this covers what that misses (a focus that does not scroll).
  const bar = form.querySelector(".entry-actions");
  form.addEventListener("focusin", function (event) {
    if (!bar || bar.contains(event.target)) return;
    const box = event.target.getBoundingClientRect();
    const top = bar.getBoundingClientRect().top;
    if (box.height && box.bottom > top) window.scrollBy(0, box.bottom - top + 8);
  });

  document.getElementById("add-line").addEventListener("click", addLine);
  lines.addEventListener("click", function (event) {
    const button = event.target.closest(".remove-line");
    if (button) removeLine(button.closest(".claim-line"));
  });

  // Reasons for acknowledged findings and the patient and provider pickers are not part of what is checked.
  function notChecked(target) {
    return target.closest && target.closest(".finding-ack, .ack-several, .ack-select, .patient-picker, .provider-picker");
  }

  // The live check says nothing about a field the biller has not left yet: the fields left so far are posted as
  // "touched" (the server drops the other fields' problems; *Check* posts the whole form and shows them all).
  // A field the server marked after a save counts as left.
  const touched = new Set();
  const touchedInput = document.createElement("input");
  touchedInput.type = "hidden";
  touchedInput.name = "touched";
  form.appendChild(touchedInput);
  function touch(name) {
    if (!name || touched.has(name)) return false;
    touched.add(name);
    touchedInput.value = Array.from(touched).join(",");
    return true;
  }
  form.querySelectorAll("[name].is-invalid").forEach(function (field) { touch(field.name); });
  form.addEventListener("focusout", function (event) {
    const field = event.target;
    if (!field.name || field.type === "hidden" || field.type === "submit" || notChecked(field)) return;
    if (field.form !== form) return;
    if (touch(field.name)) liveCheck(); // say now what is wrong with the field just left (a required one left empty)
  });

  // Mark the fields the live check complains about, as a save does: red border and the message under the field.
  // The marks of the last save or check are replaced: the live check knows the form as it is now.
  function markFields() {
    form.querySelectorAll("[name].is-invalid").forEach(function (field) {
      if (field.closest(".finding-wrap")) return;
      field.classList.remove("is-invalid");
      field.removeAttribute("aria-invalid");
    });
    form.querySelectorAll(".invalid-feedback").forEach(function (message) {
      if (!message.closest(".line-findings, #claim-summary")) message.remove();
    });
    form.querySelectorAll("[data-entry-error] a[href^='#']").forEach(function (link) {
      const field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field || !field.name) return;
      field.classList.add("is-invalid");
      field.setAttribute("aria-invalid", "true");
      const holder = field.closest(".line-modifiers, .line-pointers, .line-field, .mb-3") || field.parentElement;
      const message = document.createElement("div");
      message.className = "invalid-feedback d-block live-feedback";
      message.textContent = link.textContent.trim();
      holder.appendChild(message);
    });
  }
  form.addEventListener("input", function (event) {
    if (notChecked(event.target)) return;
    if (event.target.classList.contains("diagnosis-input")) refreshPointers();
    liveCheck();
  });
  form.addEventListener("change", function (event) {
    if (notChecked(event.target)) return;
    liveCheck();
  });

  // A provider picked from the practice's list fills their NPI (and specialty, and the group TIN when none is
  // entered yet); the fields changed run the live check. The pickers have no name: they are not posted.
  const PROVIDER_FIELDS = {
    rendering: { rendering_npi: "npi", rendering_specialty: "specialty", group_tin: "tin" },
    billing: { billing_npi: "npi", group_tin: "tin" },
  };
  function fill(name, value, onlyIfEmpty) {
    const field = form.elements.namedItem(name);
    if (!field || field.value === value || (onlyIfEmpty && field.value)) return;
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }
  form.querySelectorAll("[data-provider-pick]").forEach(function (select) {
    select.addEventListener("change", function () {
      const option = select.selectedOptions[0];
      if (!option || !option.value) return;
      const fields = PROVIDER_FIELDS[select.dataset.providerPick];
      Object.keys(fields).forEach(function (name) {
        // The group TIN is the rendering provider's; a billing provider only fills it when it is empty.
        const onlyIfEmpty = name === "group_tin" && select.dataset.providerPick === "billing";
        fill(name, option.dataset[fields[name]] || "", onlyIfEmpty);
      });
    });
  });

  // An NPI typed by hand shows its provider in the picker (or none, for a provider not on the list).
  const NPI_PICKER = { rendering_npi: "rendering", billing_npi: "billing" };
  form.addEventListener("input", function (event) {
    const kind = NPI_PICKER[event.target.name];
    const select = kind && form.querySelector('[data-provider-pick="' + kind + '"]');
    if (!select) return;
    const match = Array.from(select.options).find(function (option) {
      return option.value && option.dataset.npi === event.target.value.trim();
    });
    select.value = match ? match.value : "";
  });

  // An entry problem links to its field: go there and put the cursor in it (showing hidden drug fields).
  form.addEventListener("click", function (event) {
    const link = event.target.closest("[data-entry-error] a[href^='#']");
    if (!link) return;
    const field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    const line = field.closest(".claim-line");
    if (line && field.closest(".drug-fields")) showDrugFields(line, true);
    field.scrollIntoView({ block: "center" });
    field.focus();
  });

  // After each check: show the drug fields on the lines the server calls drug lines.
  function refreshDrugFields() {
    lines.querySelectorAll(".claim-line").forEach(function (line) {
      const box = line.querySelector(".line-findings");
      if (box) showDrugFields(line, box.dataset.drug === "1");
    });
  }
  // One reason for several findings: the reason written once goes to every finding ticked "Select" (its own
  // reason box, opened); the server does the same on submit for a reason not applied here.
  const several = document.getElementById("ack-several");
  function refreshSeveral() {
    if (several) several.hidden = form.querySelectorAll(".ack-select").length < 2;
  }
  const apply = document.getElementById("apply-select-reason");
  if (apply) apply.addEventListener("click", function () {
    const reason = document.getElementById("select-reason").value.trim();
    const status = document.getElementById("ack-several-status");
    const picked = Array.from(form.querySelectorAll(".ack-select:checked"));
    if (!reason || !picked.length) {
      status.textContent = reason ? "Tick Select on the findings this reason is for." : "Write the reason first.";
      return;
    }
    picked.forEach(function (box) {
      const text = document.getElementById(box.value);
      if (!text) return;
      text.value = reason;
      const details = text.closest("details");
      if (details) details.open = true;
    });
    status.textContent = "Acknowledged " + picked.length + " finding" + (picked.length === 1 ? "" : "s") + " with this reason.";
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.elt && event.detail.elt.id === "claim-summary") {
      refreshDrugFields();
      markFields();
      refreshSeveral();
    }
  });

  hideMarkedDrugFields(lines);
  refreshPointers();
  renumber();
})();
