/*
 * Code autocomplete of the claim entry form (plain JS, no framework).
 *
 * Markup (rendered by the entry form, one per code input):
 *   <div class="code-field position-relative">
 *     <input data-code-autocomplete hx-get="/codes/autocomplete/" hx-target="next .code-suggestions"
 *            role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="ID-suggestions" ...>
 *     <div class="code-suggestions" id="ID-suggestions"></div>
 *   </div>
 * htmx swaps templates/codes/_autocomplete.html into .code-suggestions: a role="listbox" of
 * role="option" buttons carrying data-code-option="J1100".
 *
 * Picking an option (click, or Enter on the highlighted one) writes the code into the input, closes the
 * list and fires bubbling `input` and `change` events so the form's live check runs. ArrowDown/ArrowUp
 * move the highlight, Escape closes, a click or focus elsewhere closes. Everything is delegated from the
 * document, so lines added later work without set-up.
 */
(function () {
  "use strict";

  var INPUT = "[data-code-autocomplete]";
  var OPTION = "[data-code-option]";
  var ACTIVE = "active";

  function fieldOf(element) {
    return element.closest(".code-field");
  }

  function inputOf(field) {
    return field ? field.querySelector(INPUT) : null;
  }

  function suggestionsOf(field) {
    return field ? field.querySelector(".code-suggestions") : null;
  }

  function optionsOf(field) {
    var box = suggestionsOf(field);
    return box ? Array.prototype.slice.call(box.querySelectorAll(OPTION)) : [];
  }

  function highlighted(field) {
    var box = suggestionsOf(field);
    return box ? box.querySelector(OPTION + "." + ACTIVE) : null;
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
    document.querySelectorAll(".code-field").forEach(function (field) {
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
    var code = option.getAttribute("data-code-option");
    // The picked value must not ask for suggestions again (htmx's "input changed" trigger would).
    input.setAttribute("data-code-picked", code);
    input.value = code;
    close(field);
    input.focus();
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // After htmx filled a suggestions box: give the options ids, set aria-expanded.
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = event.detail && event.detail.target;
    if (!box || !box.classList || !box.classList.contains("code-suggestions")) return;
    var field = fieldOf(box);
    var options = optionsOf(field);
    options.forEach(function (option, i) {
      option.id = box.id + "-option-" + i;
    });
    setExpanded(field, options.length > 0);
  });

  // No request for the value just picked, and no late answer reopening the list after a pick.
  function pickedAlready(element) {
    return (
      element && element.matches && element.matches(INPUT) && element.getAttribute("data-code-picked") === element.value
    );
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (pickedAlready(event.detail && event.detail.elt)) event.preventDefault();
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (pickedAlready(event.detail && event.detail.elt)) event.detail.shouldSwap = false;
  });
  // Typing again (a real keystroke, not the event a pick fires) asks for suggestions again.
  document.addEventListener("input", function (event) {
    if (event.isTrusted && event.target.matches && event.target.matches(INPUT)) {
      event.target.removeAttribute("data-code-picked");
    }
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(INPUT)) return;
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
    if (!options.length) return;
    var current = highlighted(field);
    var index = current ? options.indexOf(current) : -1;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight(field, index + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(field, index < 0 ? options.length - 1 : index - 1);
    } else if (event.key === "Enter" && current) {
      event.preventDefault(); // pick, do not submit the form
      pick(current);
    }
  });

  // Keep the focus in the input while an option is pressed, so the list stays until the click lands.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(".code-suggestions " + OPTION)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".code-suggestions " + OPTION);
    if (option) {
      event.preventDefault();
      pick(option);
      return;
    }
    closeAllExcept(event.target.closest ? fieldOf(event.target) : null);
  });

  // Tabbing away from a code field closes its list.
  document.addEventListener("focusout", function (event) {
    if (!event.target.matches || !event.target.matches(INPUT)) return;
    var field = fieldOf(event.target);
    if (event.relatedTarget && field.contains(event.relatedTarget)) return;
    close(field);
  });
})();
