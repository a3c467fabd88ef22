/* Review queue and review page: tick every row of the page; show an override's note box when Reject is
   chosen. The pages work without it. No framework. */
(function () {
  "use strict";

  // Queue: the "tick every claim of this page" box in the table header.
  const all = document.querySelector(".js-select-all");
  if (all) {
    const rows = Array.from(document.querySelectorAll(".js-select-row"));
    all.hidden = rows.length === 0;
    const sync = function () {
      const ticked = rows.filter(function (box) { return box.checked; }).length;
      all.checked = ticked > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    };
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
      sync();
    });
    rows.forEach(function (box) { box.addEventListener("change", sync); });
    sync();
  }

  // Review page: each override's note box shows when Reject is chosen, or when a note is already there.
  document.querySelectorAll(".review-decision").forEach(function (fieldset) {
    const reject = fieldset.querySelector('input.js-decision[value="rejected"]');
    const note = fieldset.querySelector("textarea");
    if (!reject || !note) return;
    const update = function () {
      const show = reject.checked || note.value.trim() !== "" || note.classList.contains("is-invalid");
      fieldset.classList.toggle("js-note-hidden", !show);
    };
    fieldset.querySelectorAll("input.js-decision").forEach(function (radio) {
      radio.addEventListener("change", function () {
        update();
        if (reject.checked) note.focus();
      });
    });
    update();
  });
})();
