/*
 * The supervisors' dashboard: draws each card's chart (Chart.js, static/vendor/chartjs) from the table beside
 * it, so the numbers have one source and the table is the chart's accessible alternative.
 *
 * Markup (templates/claims/_dashboard_card.html):
 *   <div hidden data-chart-figure> … <canvas id="by_rule-chart" role="img" aria-label="Chart: …"> … </div>
 *   <table data-chart="by_rule" data-chart-canvas="by_rule-chart" data-chart-type="bar"
 *          [data-chart-horizontal] [data-chart-stacked] [data-chart-percent]>
 *     <thead><tr><th>Rule</th><th data-series>Findings</th><th data-series>Claims</th></tr></thead>
 *     <tbody><tr><th scope="row" data-label="PTP-MI0">PTP-MI0 <span>Code pair …</span></th>
 *                <td data-value="…">…</td>…</tr>…</tbody>
 *   </table>
 * Row labels are the row headers' data-label (or text); each column whose header has data-series becomes a
 * data set, read from the cells' data-value (plain numbers). The chart's box is shown only once it is drawn:
 * without JavaScript (or without Chart.js) the page shows the tables alone.
 */
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") {
    return;
  }
  var Chart = window.Chart;
  // Okabe-Ito: colours told apart with every common colour-vision deficiency.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function number(cell) {
    var value = cell ? parseFloat(cell.getAttribute("data-value")) : NaN;
    return isNaN(value) ? null : value;
  }

  function readTable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    var series = [];
    for (var index = 0; index < headers.length; index += 1) {
      if (headers[index].hasAttribute("data-series")) {
        series.push({ index: index, label: headers[index].textContent.trim(), data: [] });
      }
    }
    var labels = [];
    var rows = table.tBodies.length ? table.tBodies[0].rows : [];
    for (var r = 0; r < rows.length; r += 1) {
      var head = rows[r].querySelector("th[scope=row]");
      if (!head) {
        continue;
      }
      labels.push(head.getAttribute("data-label") || head.textContent.trim());
      series.forEach(function (item) {
        item.data.push(number(rows[r].cells[item.index]));
      });
    }
    return { labels: labels, series: series };
  }

  function config(table, data) {
    var type = table.getAttribute("data-chart-type") === "line" ? "line" : "bar";
    var horizontal = type === "bar" && table.hasAttribute("data-chart-horizontal");
    var stacked = table.hasAttribute("data-chart-stacked");
    var percent = table.hasAttribute("data-chart-percent");
    var valueAxis = horizontal ? "x" : "y";
    var labelAxis = horizontal ? "y" : "x";
    var format = function (value) {
      return percent ? value + " %" : Number(value).toLocaleString();
    };
    var scales = {};
    scales[valueAxis] = {
      beginAtZero: true,
      stacked: stacked,
      ticks: { callback: format, precision: percent ? undefined : 0 },
    };
    if (percent) {
      scales[valueAxis].max = 100;
    }
    scales[labelAxis] = { stacked: stacked, ticks: { autoSkip: type === "line" } };
    return {
      type: type,
      data: {
        labels: data.labels,
        datasets: data.series.map(function (item, index) {
          var colour = PALETTE[index % PALETTE.length];
          return {
            label: item.label,
            data: item.data,
            backgroundColor: colour,
            borderColor: colour,
            borderWidth: type === "line" ? 2 : 0,
            pointRadius: type === "line" ? 3 : undefined,
          };
        }),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        responsive: true,
        animation: reduceMotion ? false : { duration: 300 },
        scales: scales,
        plugins: {
          legend: { display: data.series.length > 1, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) {
                var value = horizontal ? context.parsed.x : context.parsed.y;
                return context.dataset.label + ": " + format(value);
              },
            },
          },
        },
      },
    };
  }

  function draw(table) {
    var canvas = document.getElementById(table.getAttribute("data-chart-canvas"));
    if (!canvas) {
      return;
    }
    var data = readTable(table);
    if (!data.labels.length || !data.series.length) {
      return;
    }
    var figure = canvas.closest("[data-chart-figure]");
    if (figure) {
      figure.hidden = false; // shown before drawing: Chart.js sizes the chart from its box
    }
    try {
      new Chart(canvas, config(table, data));
    } catch (error) {
      if (figure) {
        figure.hidden = true; // the table stays: it has every number
      }
      throw error;
    }
  }

  document.querySelectorAll("table[data-chart]").forEach(draw);
})();
