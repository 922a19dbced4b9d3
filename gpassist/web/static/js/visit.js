// The visit page: record the visit, see the patient's programs, readings and history, settle the bill.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var head = document.getElementById("patient");
  var patientId = head.dataset.patientId;
  var clinic = head.dataset.clinic;
  var base = "/api/v1/patients/" + patientId;
  var state = { encounterId: null, lines: [], catalog: {} };

  // --- the visit -------------------------------------------------------------------------------
  var VITALS = ["sbp", "dbp", "heart_rate", "temperature_c", "spo2", "glucose_mmol_l", "weight_kg"];

  function encounterBody(form) {
    var data = new FormData(form), vitals = {};
    VITALS.forEach(function (key) {
      var raw = String(data.get(key) || "").trim();
      if (raw !== "") vitals[key] = Number(raw);
    });
    var fasting = data.get("glucose_fasting");
    if (fasting) vitals.glucose_fasting = fasting === "true";
    return { chief_complaint: String(data.get("chief_complaint") || "").trim(), vitals: vitals };
  }

  // Saving the visit is shared: the visit form's button, and any section that needs a saved visit
  // (prescribing, the follow-up form, settling) calls visitPage.ensureSaved() instead of asking the
  // doctor to press 保存就诊 first. One save in flight at a time: a second call gets the same promise.
  var pending = null;

  function saveEncounter() {
    if (state.encounterId) return Promise.resolve(state.encounter);
    if (pending) return pending;
    var status = document.getElementById("encounter-status");
    status.textContent = S.saving;
    pending = gpassist.call("POST", base + "/encounters", encounterBody(document.getElementById("encounter")))
      .then(function (encounter) {
        pending = null;
        state.encounterId = encounter.id;
        state.encounter = encounter;
        status.textContent = S.saved;
        document.dispatchEvent(new CustomEvent("encounter-saved", { detail: encounter }));
        loadHistory();
        return encounter;
      }, function (problem) { pending = null; status.textContent = ""; throw problem; });
    return pending;
  }

  window.visitPage = {
    ensureSaved: saveEncounter,
    encounterId: function () { return state.encounterId; },
  };

  document.getElementById("encounter").addEventListener("submit", function (event) {
    event.preventDefault();
    saveEncounter().catch(function () {});
  });

  // --- programs, readings, history -------------------------------------------------------------
  function loadPrograms() {
    var node = document.getElementById("programs");
    ui.loading(node);
    gpassist.call("GET", base + "/enrolments").then(function (list) {
      var active = list.items.filter(function (e) { return e.status === "active"; });
      document.dispatchEvent(new CustomEvent("programs-loaded", { detail: active }));
      ui.replace(node, ui.table([
        { title: S.program, render: function (e) { return ui.text(e.program_name); } },
        { title: S.next_due, render: function (e) { return e.next_due; } },
        { title: S.status, render: function (e) { return e.last_classification || S.none; } },
      ], active));
    });
  }

  function loadHistory() {
    var node = document.getElementById("history");
    ui.loading(node);
    gpassist.call("GET", base + "/encounters?limit=20").then(function (list) {
      ui.replace(node, ui.table([
        { title: S.date, render: function (e) { return e.occurred_at.slice(0, 10); } },
        { title: S.complaint, render: function (e) { return e.chief_complaint; } },
        { title: S.diagnoses, render: function (e) { return e.diagnoses.join("、"); } },
        { title: S.bp, render: function (e) { return e.vitals.sbp ? e.vitals.sbp + "/" + e.vitals.dbp : ""; } },
      ], list.items));
      drawChart(list.items);
    });
  }

  // The last readings as an SVG: systolic and diastolic BP (left axis, mmHg) and glucose (right
  // axis, mmol/L), oldest on the left, each reading at its date. Fixed viewBox: the stylesheet
  // reserves its box before the readings arrive, so nothing below it jumps.
  var SVG = "http://www.w3.org/2000/svg";
  var CHART = { width: 360, height: 200, left: 34, right: 30, top: 22, bottom: 34 };
  var COLOURS = { sbp: "#b42318", dbp: "#b45309", glu: "#0b6e4f" };

  function svgNode(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Round axis bounds and a tick step that gives 3 to 6 ticks.
  function niceScale(low, high, steps) {
    var step = steps.filter(function (s) { return (high - low) / s <= 5; })[0] || steps[steps.length - 1];
    return { low: Math.floor(low / step) * step, high: Math.ceil(high / step) * step, step: step };
  }

  function drawChart(encounters) {
    var node = document.getElementById("chart");
    var points = encounters.filter(function (e) { return e.vitals.sbp || e.vitals.glucose_mmol_l; })
      .slice(0, 10).reverse();
    if (!points.length) { ui.replace(node, el("p", { class: "empty", text: S.none })); return; }
    var c = CHART, plotRight = c.width - c.right, plotBottom = c.height - c.bottom;
    var day = function (e) { return e.occurred_at.slice(0, 10); };
    var time = function (e) { return Date.parse(day(e) + "T00:00:00Z"); };
    var first = time(points[0]), span = time(points[points.length - 1]) - first;
    function x(e) {  // at its date; a single reading (or one day) in the middle
      return span ? c.left + (time(e) - first) / span * (plotRight - c.left) : (c.left + plotRight) / 2;
    }
    var bp = [], glu = [];
    points.forEach(function (e) {
      if (e.vitals.sbp) bp.push(e.vitals.sbp, e.vitals.dbp || e.vitals.sbp);
      if (e.vitals.glucose_mmol_l) glu.push(e.vitals.glucose_mmol_l);
    });
    var bpScale = niceScale(Math.min.apply(null, bp.concat([200])) - 5, Math.max.apply(null, bp.concat([60])) + 5, [10, 20, 40]);
    var gluScale = niceScale(0, Math.max.apply(null, glu.concat([8])) + 1, [2, 5, 10]);
    function y(value, scale) {
      return plotBottom - (value - scale.low) / (scale.high - scale.low) * (plotBottom - c.top);
    }
    var svg = svgNode("svg", { viewBox: "0 0 " + c.width + " " + c.height, role: "img",
      "aria-label": S.vital_sbp + "/" + S.vital_dbp + " mmHg、" + S.glucose + " mmol/L：" +
        day(points[0]) + " – " + day(points[points.length - 1]) });

    // Value ticks and grid lines: mmHg on the left, mmol/L on the right.
    for (var v = bpScale.low; v <= bpScale.high; v += bpScale.step) {
      svg.appendChild(svgNode("line", { x1: c.left, x2: plotRight, y1: y(v, bpScale), y2: y(v, bpScale), class: "readings-grid" }));
      svg.appendChild(svgNode("text", { x: c.left - 4, y: y(v, bpScale) + 4, "text-anchor": "end", class: "readings-axis" }, String(v)));
    }
    if (glu.length) {
      for (var g = gluScale.low; g <= gluScale.high; g += gluScale.step) {
        svg.appendChild(svgNode("text", { x: plotRight + 4, y: y(g, gluScale) + 4, class: "readings-axis", fill: COLOURS.glu }, String(g)));
      }
    }
    svg.appendChild(svgNode("text", { x: 2, y: 11, class: "readings-axis" }, "mmHg"));
    if (glu.length) {
      svg.appendChild(svgNode("text", { x: c.width - 2, y: 11, "text-anchor": "end", class: "readings-axis", fill: COLOURS.glu }, "mmol/L"));
    }
    svg.appendChild(svgNode("line", { x1: c.left, x2: plotRight, y1: plotBottom, y2: plotBottom, stroke: "#8c959f" }));

    // Dates under the readings: month-day under each as room allows (the latest always), the
    // year under the first and wherever it changes.
    var labelled = [], room = 36, lastYear = null;
    points.forEach(function (e, i) {
      var px = x(e), previous = labelled[labelled.length - 1];
      if (previous !== undefined && px - x(points[previous]) < room) {
        if (i !== points.length - 1) return;
        labelled.pop();  // make room for the latest reading's date
      }
      labelled.push(i);
    });
    labelled.forEach(function (i) {
      var e = points[i], px = x(e), date = day(e);
      svg.appendChild(svgNode("line", { x1: px, x2: px, y1: plotBottom, y2: plotBottom + 4, stroke: "#8c959f" }));
      svg.appendChild(svgNode("text", { x: px, y: plotBottom + 15, "text-anchor": "middle", class: "readings-axis" }, date.slice(5)));
      if (date.slice(0, 4) !== lastYear) {
        svg.appendChild(svgNode("text", { x: px, y: plotBottom + 28, "text-anchor": "middle", class: "readings-axis" }, date.slice(0, 4)));
        lastYear = date.slice(0, 4);
      }
    });

    function series(value, scale, colour) {
      var coords = [];
      points.forEach(function (e) { var v = value(e); if (v) coords.push([x(e), y(v, scale), v, day(e)]); });
      if (!coords.length) return;
      svg.appendChild(svgNode("polyline", { points: coords.map(function (p) { return p[0] + "," + p[1]; }).join(" "),
        fill: "none", stroke: colour, "stroke-width": 2 }));
      coords.forEach(function (p) {  // a dot per reading, so a single reading shows too
        var dot = svgNode("circle", { cx: p[0], cy: p[1], r: 3, fill: colour });
        dot.appendChild(svgNode("title", {}, p[3] + "  " + p[2]));
        svg.appendChild(dot);
      });
    }
    series(function (e) { return e.vitals.sbp; }, bpScale, COLOURS.sbp);
    series(function (e) { return e.vitals.dbp; }, bpScale, COLOURS.dbp);
    series(function (e) { return e.vitals.glucose_mmol_l; }, gluScale, COLOURS.glu);

    var key = function (colour, label) {
      return el("span", { class: "readings-key" }, [el("span", { style: "color:" + colour, "aria-hidden": "true", text: "■ " }), label]);
    };
    var legend = el("p", { class: "muted small" }, [key(COLOURS.sbp, S.vital_sbp), " ", key(COLOURS.dbp, S.vital_dbp),
      glu.length ? " " : null, glu.length ? key(COLOURS.glu, S.glucose + " mmol/L") : null]);
    ui.replace(node, svg);
    node.appendChild(legend);
  }

  // --- the bill --------------------------------------------------------------------------------
  var search = document.getElementById("b-search");
  var options = document.getElementById("b-options");
  var timer = null;

  function optionLabel(item) { return ui.text(item.name) + " · " + item.code; }

  function remember(kind, items) {
    items.forEach(function (item) {
      var name = kind === "drug" ? item.generic_name : item.name;
      state.catalog[optionLabel({ name: name, code: item.code })] = { kind: kind, item: item, name: name };
    });
  }

  function refreshOptions(q) {
    var drugs = gpassist.call("GET", "/api/v1/drugs?limit=20&q=" + encodeURIComponent(q));
    drugs.then(function (list) {
      remember("drug", list.items);
      ui.replace(options, null);
      Object.keys(state.catalog).forEach(function (label) {
        if (label.toLowerCase().indexOf(q.toLowerCase()) >= 0 || state.catalog[label].kind === "drug") {
          options.appendChild(el("option", { value: label }));
        }
      });
    });
  }

  gpassist.call("GET", "/api/v1/service-items?limit=100").then(function (list) { remember("service", list.items); });
  search.addEventListener("input", function () {
    clearTimeout(timer);
    var q = search.value.trim();
    if (q.length >= 1 && !state.catalog[q]) timer = setTimeout(function () { refreshOptions(q); }, 250);
  });

  function renderLines() {
    var node = document.getElementById("b-lines");
    ui.replace(node, ui.table([
      { title: S.item, render: function (l) { return ui.text(l.name); } },
      { title: S.quantity, render: function (l) { return l.quantity; } },
      { title: S.amount, render: function (l) { return ui.fen(l.unit_price_fen * l.quantity); } },
      { title: "", render: function (l, i) {
        return el("button", { type: "button", text: S.remove, "aria-label": S.remove + " " + ui.text(l.name),
          onclick: function () { state.lines.splice(state.lines.indexOf(l), 1); renderLines(); } });
      } },
    ], state.lines, S.no_items));
    document.getElementById("b-settle").disabled = state.lines.length === 0;
  }

  document.getElementById("b-add").addEventListener("click", function () {
    var chosen = state.catalog[search.value];
    var quantity = parseInt(document.getElementById("b-qty").value, 10);
    if (!chosen) { gpassist.showProblem({ title: S.pick_from_list }); return; }
    if (!(quantity >= 1)) { gpassist.showProblem({ title: S.bad_quantity }); return; }
    state.lines.push({ kind: chosen.kind, code: chosen.item.code, name: chosen.name, quantity: quantity,
      unit_price_fen: chosen.item.unit_price_fen });
    search.value = "";
    renderLines();
    search.focus();
  });

  var billKey = gpassist.newKey("bill-");  // one key per bill: pressing 结算 twice settles once
  document.getElementById("bill").addEventListener("submit", function (event) {
    event.preventDefault();
    var items = state.lines.map(function (l) {
      var line = { quantity: l.quantity };
      line[l.kind] = l.code;
      return line;
    });
    var button = document.getElementById("b-settle");
    button.disabled = true;
    gpassist.call("POST", "/api/v1/settlements", { patient_id: Number(patientId), items: items },
      { "Idempotency-Key": billKey }).then(showReceipt, function () { button.disabled = false; });
  });

  function showReceipt(receipt) {
    var node = document.getElementById("settlement");
    var rows = receipt.shares.map(function (s) { return el("tr", {}, [el("td", { text: ui.text(s.name) }), el("td", { text: ui.fen(s.amount_fen) })]); });
    ui.replace(node, el("div", {}, [
      el("h3", { text: S.settled }),
      el("table", {}, [el("tbody", {}, rows)]),
      el("p", {}, [S.total + " " + ui.fen(receipt.total_fen) + " · " + S.patient_pays + " ",
        el("strong", { text: ui.fen(receipt.patient_fen) })]),
      el("a", { href: "/api/v1/settlements/" + receipt.settlement_id + "/receipt.html", target: "_blank",
        class: "button", text: S.print_receipt }),
    ]));
    state.lines = [];
    billKey = gpassist.newKey("bill-");
    renderLines();
  }

  // --- a consultation with a county specialist -------------------------------------------------
  document.getElementById("consult").addEventListener("submit", function (event) {
    event.preventDefault();
    var status = document.getElementById("consult-status");
    if (!state.encounterId) { gpassist.showProblem({ title: S.dx_save_first_consult }); return; }
    var form = new FormData(event.target);
    var body = { department: form.get("department"), urgency: form.get("urgency"),
      reason: String(form.get("reason") || "").trim() };
    gpassist.call("POST", "/api/v1/encounters/" + state.encounterId + "/consultations", body).then(function (c) {
      status.textContent = "";
      status.appendChild(el("a", { href: "/app/consult/" + c.id, text: S.open_consultation + " #" + c.id }));
    });
  });

  function loadReferrals() {
    var node = document.getElementById("referrals");
    gpassist.call("GET", "/api/v1/referrals?limit=20&patient_id=" + patientId).then(function (list) {
      ui.replace(node, ui.table([
        { title: S.department, render: function (r) { return ui.text(r.department_name) + (r.urgent ? " ⚠" : ""); } },
        { title: S.status, render: function (r) { return r.status === "open" ? S.referral_open : S.referral_closed; } },
        { title: "", render: function (r) {
          return el("a", { href: "/api/v1/referrals/" + r.id + "/letter.html", target: "_blank", class: "button", text: S.print_referral });
        } },
      ], list.items));
    });
  }
  document.addEventListener("encounter-saved", loadReferrals);

  loadPrograms();
  loadReferrals();
  loadHistory();
  renderLines();
})();
