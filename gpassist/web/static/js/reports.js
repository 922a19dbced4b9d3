// County / town / clinic follow-up reports: table, chart (rendered by the API) and CSV export.
(function () {
  "use strict";
  var S = ui.S;
  var form = document.getElementById("report-form");

  function query() {
    var data = new FormData(form), params = new URLSearchParams();
    ["program", "period", "level", "code"].forEach(function (key) {
      var value = String(data.get(key) || "").trim();
      if (value) params.set(key, value);
    });
    return params.toString();
  }

  function percent(rate) { return (rate * 100).toFixed(1) + "%"; }

  function show() {
    var q = query(), node = document.getElementById("report");
    ui.loading(node);
    gpassist.call("GET", "/api/v1/reports/followup?" + q).then(function (report) {
      var rows = report.breakdown.concat([report]);
      ui.replace(node, ui.table([
        { title: S.area, render: function (r) { return ui.text(r.name); } },
        { title: S.count, render: function (r) { return r.managed; } },
        { title: S.standard_rate, render: function (r) { return percent(r.standard_management_rate); } },
        { title: S.control_rate, render: function (r) { return percent(r.control_rate); } },
        { title: S.overdue, render: function (r) { return r.overdue; } },
        { title: S.urgent_referrals, render: function (r) { return r.urgent_referrals; } },
      ], rows));
      document.getElementById("csv").href = "/api/v1/reports/followup.csv?" + q;
      var chart = document.getElementById("chart");
      // The chart shows the county and each town month by month through the report's year.
      chart.src = "/api/v1/reports/followup/chart.png?program=" + encodeURIComponent(report.program) +
        "&year=" + report.period.slice(0, 4);
      chart.hidden = false;
    });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); show(); });
  show();

  // --- the county overview: money by payer, consultations, orders, as bars -------------------
  var overviewForm = document.getElementById("overview-form");
  var el = ui.el;

  function bars(title, rows, value, format) {
    var max = Math.max.apply(null, rows.map(value).concat([1]));
    return el("section", { class: "bars", "aria-label": title }, [el("h3", { text: title })].concat(rows.map(function (row) {
      return el("div", { class: "bar-row" }, [
        el("span", { class: "bar-label", text: ui.text(row.name) }),
        el("span", { class: "bar", style: "width:" + (value(row) / max * 100).toFixed(1) + "%" }),
        el("span", { class: "bar-value", text: format ? format(value(row)) : String(value(row)) }),
      ]);
    })));
  }

  function showOverview() {
    var params = new URLSearchParams();
    new FormData(overviewForm).forEach(function (v, k) { if (String(v).trim()) params.set(k, String(v).trim()); });
    var node = document.getElementById("overview");
    ui.loading(node);
    gpassist.call("GET", "/api/v1/reports/overview?" + params).then(function (o) {
      ui.replace(node, null);
      var payers = o.by_payer.concat([{ name: { zh: S.patient_pays, en: S.patient_pays }, amount_fen: o.patient_fen }]);
      node.appendChild(bars(S.by_payer + "（" + o.settlements + "）", payers, function (r) { return r.amount_fen; }, ui.fen));
      node.appendChild(bars(S.consultations + "（" + o.consultations + "）", o.consultations_by_state, function (r) { return r.count; }));
      node.appendChild(bars(S.orders + "（" + o.orders + "）", o.orders_by_status, function (r) { return r.count; }));
      node.appendChild(bars(S.orders_by_town, o.orders_by_town, function (r) { return r.count; }));
      document.getElementById("overview-csv").href = "/api/v1/reports/overview.csv?" + params;
    });
  }

  overviewForm.addEventListener("submit", function (event) { event.preventDefault(); showOverview(); });
  showOverview();
})();
