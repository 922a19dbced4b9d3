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
})();
