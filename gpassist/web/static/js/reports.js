// County / town / clinic follow-up reports: table, chart (rendered by the API) and CSV export.
(function () {
  "use strict";
  var S = ui.S;
  var form = document.getElementById("report-form");

  // One choice of area: the whole county (rows per town) or one town (rows per village clinic).
  function query() {
    var data = new FormData(form), params = new URLSearchParams();
    ["program", "period"].forEach(function (key) {
      var value = String(data.get(key) || "").trim();
      if (value) params.set(key, value);
    });
    var town = String(data.get("area") || "");
    params.set("level", town ? "town" : "county");
    if (town) params.set("code", town);
    return params.toString();
  }

  // Towns are chosen by name; their codes stay behind the scenes.
  function fillTowns() {
    return gpassist.call("GET", "/api/v1/towns").then(function (list) {
      document.querySelectorAll("select[data-towns]").forEach(function (select) {
        var suffix = select.dataset.townSuffix || "";
        list.items.forEach(function (t) {
          select.appendChild(ui.el("option", { value: t.code, text: ui.text(t.name) + suffix }));
        });
      });
    });
  }

  // "2026年12月1日—12月6日" (days in Asia/Shanghai, as the API counts them).
  function periodText(start, end) {
    var a = start.split("-").map(Number), b = end.split("-").map(Number);
    if (ui.lang === "en") {
      var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
      return a[2] + " " + months[a[1] - 1] + (a[0] !== b[0] ? " " + a[0] : "") + " – " + b[2] + " " + months[b[1] - 1] + " " + b[0];
    }
    return a[0] + "年" + a[1] + "月" + a[2] + "日—" + (a[0] !== b[0] ? b[0] + "年" : "") + b[1] + "月" + b[2] + "日";
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
      var town = document.getElementById("o-town");
      var where = town.value ? town.options[town.selectedIndex].text : town.options[0].text;
      document.getElementById("overview-period").textContent =
        S.period + "：" + periodText(o.start, o.end) + " · " + where;
      document.getElementById("o-start").value = o.start;
      document.getElementById("o-end").value = o.end;
      var payers = o.by_payer.concat([{ name: { zh: S.patient_pays, en: S.patient_pays }, amount_fen: o.patient_fen }]);
      node.appendChild(bars(S.by_payer + "（" + o.settlements + "）", payers, function (r) { return r.amount_fen; }, ui.fen));
      node.appendChild(bars(S.consultations + "（" + o.consultations + "）", o.consultations_by_state, function (r) { return r.count; }));
      node.appendChild(bars(S.orders + "（" + o.orders + "）", o.orders_by_status, function (r) { return r.count; }));
      node.appendChild(bars(S.orders_by_town, o.orders_by_town, function (r) { return r.count; }));
      document.getElementById("overview-csv").href = "/api/v1/reports/overview.csv?" + params;
    });
  }

  overviewForm.addEventListener("submit", function (event) { event.preventDefault(); showOverview(); });
  // The overview first (it is what an administrator reads first), then the follow-up report.
  showOverview();
  show();
  fillTowns();
})();
