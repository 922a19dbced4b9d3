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
      showChart(report.program, report.period.slice(0, 4));
    });
  }

  // --- the monthly chart, drawn here as SVG from the monthly series (JSON) ---------------------
  // Drawing in the browser instead of fetching chart.png: the server rendered that PNG with
  // matplotlib in 2–3 s (7 s in a fresh process); the series alone is a fraction of that, and
  // the page's own chart speaks the page's language.
  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function monthLabel(period) { return ui.lang === "en" ? period.slice(5) : Number(period.slice(5)) + "月"; }

  // One panel: y axis with gridlines and labels, months along x, a line per series.
  function panel(title, months, lines, yMax, yFormat) {
    var W = 900, H = 260, left = 56, right = 24, top = 28, bottom = 30;
    var plotW = W - left - right, plotH = H - top - bottom;
    var x = function (i) { return left + (months.length === 1 ? plotW / 2 : i * plotW / (months.length - 1)); };
    var y = function (v) { return top + plotH - (v / yMax) * plotH; };
    var parts = [svg("text", { x: left, y: 16, class: "chart-title" }, [title])];
    for (var t = 0; t <= 4; t++) {
      var v = yMax * t / 4;
      parts.push(svg("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "grid" }));
      parts.push(svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, [yFormat(v)]));
    }
    months.forEach(function (m, i) {
      parts.push(svg("text", { x: x(i), y: H - 8, "text-anchor": "middle", class: "tick" }, [monthLabel(m.period)]));
    });
    lines.forEach(function (line) {
      var points = line.values.map(function (v, i) { return x(i) + "," + y(v); }).join(" ");
      parts.push(svg("polyline", { points: points, fill: "none", stroke: line.colour, "stroke-width": line.width,
        "stroke-dasharray": line.dashed ? "6 4" : "none" }));
      line.values.forEach(function (v, i) {
        parts.push(svg("circle", { cx: x(i), cy: y(v), r: line.width + 1, fill: line.colour }, [
          svg("title", {}, [line.name + " " + monthLabel(months[i].period) + "：" + yFormat(v)])]));
      });
    });
    return svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title, class: "chart-svg" }, parts);
  }

  function showChart(program, year) {
    var figure = document.getElementById("chart");
    gpassist.call("GET", "/api/v1/reports/followup/monthly?program=" + encodeURIComponent(program) + "&year=" + year).then(function (m) {
      var lines = m.series.map(function (s, i) {
        return { name: ui.text(s.name), colour: i ? COLOURS[(i - 1) % COLOURS.length] : "#000", width: i ? 1.5 : 3,
          dashed: i > 0, rate: s.control_rate.map(function (r) { return r * 100; }), overdue: s.overdue };
      });
      var maxOverdue = Math.max.apply(null, [1].concat(lines.map(function (l) { return Math.max.apply(null, l.overdue); })));
      maxOverdue = Math.ceil(maxOverdue / 4) * 4;
      document.getElementById("chart-title").textContent = year + " " + S.chart_title;
      ui.replace(document.getElementById("chart-rate"), panel(S.chart_control_rate, m.months,
        lines.map(function (l) { return Object.assign({}, l, { values: l.rate }); }), 100, function (v) { return Math.round(v) + "%"; }));
      ui.replace(document.getElementById("chart-overdue"), panel(S.chart_overdue, m.months,
        lines.map(function (l) { return Object.assign({}, l, { values: l.overdue }); }), maxOverdue, function (v) { return String(Math.round(v)); }));
      ui.replace(document.getElementById("chart-legend"), null);
      lines.forEach(function (l) {
        document.getElementById("chart-legend").appendChild(el("li", {}, [
          el("span", { class: "swatch" + (l.dashed ? " dashed" : ""), style: "border-color:" + l.colour }), l.name]));
      });
      figure.hidden = false;
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
        S.period + (ui.lang === "en" ? ": " : "：") + periodText(o.start, o.end) + " · " + where;
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
