/* Export 837P page: the header box ticks every claim of the page. The page works without it. */
(function () {
  "use strict";
  const all = document.querySelector(".js-select-all");
  if (!all) return;
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
})();
