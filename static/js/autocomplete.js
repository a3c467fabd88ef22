/*
 * The entry form's two comboboxes (plain JS, no framework): a line's code field, and the patient picker.
 *
 * Markup (rendered by the entry form):
 *   <div class="code-field position-relative">            <div class="patient-picker position-relative">
 *     <input data-code-autocomplete hx-get=…                  <input data-patient-search hx-post=…
 *            role="combobox" aria-expanded="false" …>                role="combobox" aria-expanded="false" …>
 *     <div class="code-suggestions" id="…"></div>             <div class="patient-suggestions" id="…"></div>
 *   </div>                                                  </div>
 * htmx swaps a role="listbox" of role="option" buttons into the suggestions box: templates/codes/_autocomplete.html
 * (buttons with data-code-option="J1100") and templates/claims/_patient_options.html (buttons with
 * data-patient-option and the patient's fields as data-* attributes).
 *
 * Picking an option (click, or Enter on the highlighted one) closes the list and applies it: a code is written
 * into its input; a patient fills the patient's fields (and the payer of their latest claim, when no payer is
 * chosen yet). The fields changed fire bubbling `input` and `change` events, so the live check runs.
 * ArrowDown/ArrowUp move the highlight, Escape closes, a click or focus elsewhere closes (and suggestions that
 * arrive after the focus has left are not shown). Everything is
 * delegated from the document, so lines added later work without set-up.
 */
(function () {
  "use strict";

  var ACTIVE = "active";
  var PICKED = "data-picked";

  function changed(input) {
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function combobox(kind) {
    function fieldOf(element) {
      return element.closest(kind.field);
    }

    function inputOf(field) {
      return field ? field.querySelector(kind.input) : null;
    }

    function suggestionsOf(field) {
      return field ? field.querySelector(kind.box) : null;
    }

    function optionsOf(field) {
      var box = suggestionsOf(field);
      return box ? Array.prototype.slice.call(box.querySelectorAll(kind.option)) : [];
    }

    function highlighted(field) {
      var box = suggestionsOf(field);
      return box ? box.querySelector(kind.option + "." + ACTIVE) : null;
    }

    function setExpanded(field, expanded) {
      var input = inputOf(field);
      if (!input) return;
      input.setAttribute("aria-expanded", expanded ? "true" : "false");
      if (!expanded) input.removeAttribute("aria-activedescendant");
    }

    function close(field) {
      var box = suggestionsOf(field);
      if (box) box.innerHTML = "";
      setExpanded(field, false);
    }

    function closeAllExcept(keep) {
      document.querySelectorAll(kind.field).forEach(function (field) {
        if (field !== keep && suggestionsOf(field) && suggestionsOf(field).childElementCount) close(field);
      });
    }

    function highlight(field, index) {
      var options = optionsOf(field);
      var input = inputOf(field);
      if (!options.length || !input) return;
      index = (index + options.length) % options.length;
      options.forEach(function (option, i) {
        var on = i === index;
        option.classList.toggle(ACTIVE, on);
        option.setAttribute("aria-selected", on ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }

    function pick(option) {
      var field = fieldOf(option);
      var input = inputOf(field);
      if (!input) return;
      var focus = kind.apply(input, option) || input;
      // The value left in the input must not ask for suggestions again (htmx's "input changed" trigger would).
      input.setAttribute(PICKED, input.value);
      close(field);
      focus.focus();
      if (focus === input) changed(input);
    }

    // After htmx filled a suggestions box: give the options ids, set aria-expanded.
    document.addEventListener("htmx:afterSwap", function (event) {
      var box = event.detail && event.detail.target;
      if (!box || !box.matches || !box.matches(kind.box)) return;
      var field = fieldOf(box);
      var options = optionsOf(field);
      options.forEach(function (option, i) {
        option.id = box.id + "-option-" + i;
      });
      setExpanded(field, options.length > 0);
    });

    // No request for the value just picked, and no late answer reopening the list after a pick.
    function pickedAlready(element) {
      return element && element.matches && element.matches(kind.input) && element.getAttribute(PICKED) === element.value;
    }
    document.addEventListener("htmx:beforeRequest", function (event) {
      if (pickedAlready(event.detail && event.detail.elt)) event.preventDefault();
    });
    // Suggestions that arrive after the biller has moved on to another field are dropped, not shown.
    function leftAlready(element) {
      return element && element.matches && element.matches(kind.input) && document.activeElement !== element;
    }
    document.addEventListener("htmx:beforeSwap", function (event) {
      // detail.elt is the box swapped into; the input that asked is the request's element.
      var element = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
      if (pickedAlready(element) || leftAlready(element)) event.detail.shouldSwap = false;
    });
    // Typing again (a real keystroke, not the event a pick fires) asks for suggestions again.
    document.addEventListener("input", function (event) {
      if (event.isTrusted && event.target.matches && event.target.matches(kind.input)) {
        event.target.removeAttribute(PICKED);
      }
    });

    document.addEventListener("keydown", function (event) {
      var input = event.target;
      if (!input.matches || !input.matches(kind.input)) return;
      var field = fieldOf(input);
      if (event.key === "Escape") {
        var box = suggestionsOf(field);
        if (box && box.childElementCount) {
          event.preventDefault();
          close(field);
        }
        return;
      }
      var options = optionsOf(field);
      var current = highlighted(field);
      if (event.key === "Enter" && (current || kind.searchOnly)) {
        event.preventDefault(); // pick, do not submit the form (a search box never submits it)
        if (current) pick(current);
        return;
      }
      if (!options.length) return;
      var index = current ? options.indexOf(current) : -1;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(field, index + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(field, index < 0 ? options.length - 1 : index - 1);
      }
    });

    // Keep the focus in the input while an option is pressed, so the list stays until the click lands.
    document.addEventListener("mousedown", function (event) {
      if (event.target.closest && event.target.closest(kind.box + " " + kind.option)) event.preventDefault();
    });

    document.addEventListener("click", function (event) {
      var option = event.target.closest && event.target.closest(kind.box + " " + kind.option);
      if (option) {
        event.preventDefault();
        pick(option);
        return;
      }
      closeAllExcept(event.target.closest ? fieldOf(event.target) : null);
    });

    // Tabbing away from the input closes its list.
    document.addEventListener("focusout", function (event) {
      if (!event.target.matches || !event.target.matches(kind.input)) return;
      var field = fieldOf(event.target);
      if (event.relatedTarget && field.contains(event.relatedTarget)) return;
      close(field);
    });
  }

  combobox({
    field: ".code-field",
    input: "[data-code-autocomplete]",
    box: ".code-suggestions",
    option: "[data-code-option]",
    apply: function (input, option) {
      input.value = option.getAttribute("data-code-option");
      return input;
    },
  });

  // A known patient fills boxes 1a, 2 and 3 (and the payer of their latest claim when none is chosen yet).
  var PATIENT_FIELDS = {
    member_id: "data-member-id",
    patient_last_name: "data-last-name",
    patient_first_name: "data-first-name",
    patient_dob: "data-dob",
    patient_sex: "data-sex",
  };
  combobox({
    field: ".patient-picker",
    input: "[data-patient-search]",
    box: ".patient-suggestions",
    option: "[data-patient-option]",
    searchOnly: true,
    apply: function (input, option) {
      var form = input.closest("form"); // the claim form (the search box itself belongs to its own empty form)
      Object.keys(PATIENT_FIELDS).forEach(function (name) {
        var target = form.elements.namedItem(name);
        var value = option.getAttribute(PATIENT_FIELDS[name]) || "";
        if (target && target.value !== value) {
          target.value = value;
          changed(target);
        }
      });
      var payer = form.elements.namedItem("payer");
      var latestPayer = option.getAttribute("data-payer");
      if (payer && !payer.value && latestPayer && payer.querySelector('option[value="' + latestPayer + '"]')) {
        payer.value = latestPayer;
        changed(payer);
      }
      input.value = "";
      var next = payer && !payer.value ? payer : form.elements.namedItem("diagnosis_a");
      return next || input;
    },
  });
})();
