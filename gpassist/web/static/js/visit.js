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
        { title: S.status, render: function (e) {
          return e.last_classification ? S["classification_" + e.last_classification] || e.last_classification : S.none;
        } },
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

  // A small SVG of the last readings: systolic/diastolic BP and glucose, oldest on the left.
  function drawChart(encounters) {
    var node = document.getElementById("chart");
    var points = encounters.filter(function (e) { return e.vitals.sbp || e.vitals.glucose_mmol_l; })
      .slice(0, 10).reverse();
    if (!points.length) { ui.replace(node, el("p", { class: "empty", text: S.none })); return; }
    var ns = "http://www.w3.org/2000/svg", width = 420, height = 140, pad = 24;
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", S.bp + " / " + S.glucose);
    function x(i) { return pad + (points.length === 1 ? 0 : i * (width - 2 * pad) / (points.length - 1)); }
    function line(values, max, color) {
      var coords = [];
      values.forEach(function (v, i) { if (v) coords.push(x(i) + "," + (height - pad - v / max * (height - 2 * pad))); });
      if (!coords.length) return;
      coords.forEach(function (xy) {  // a dot per reading, so a single reading shows too
        var dot = document.createElementNS(ns, "circle");
        dot.setAttribute("cx", xy.split(",")[0]);
        dot.setAttribute("cy", xy.split(",")[1]);
        dot.setAttribute("r", "3");
        dot.setAttribute("fill", color);
        svg.appendChild(dot);
      });
      var path = document.createElementNS(ns, "polyline");
      path.setAttribute("points", coords.join(" "));
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", color);
      path.setAttribute("stroke-width", "2");
      svg.appendChild(path);
    }
    line(points.map(function (e) { return e.vitals.sbp; }), 220, "#b42318");
    line(points.map(function (e) { return e.vitals.dbp; }), 220, "#f59e0b");
    line(points.map(function (e) { return e.vitals.glucose_mmol_l; }), 25, "#0b6e4f");
    var legend = el("p", { class: "muted small" }, [
      el("span", { class: "key sbp", text: "■ " }), S.bp + "  ",
      el("span", { class: "key glu", text: "■ " }), S.glucose + " mmol/L"]);
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
      document.dispatchEvent(new CustomEvent("consultation-requested", { detail: c }));  // visit-consultations.js
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
  document.addEventListener("followup-recorded", function () { loadPrograms(); loadReferrals(); });

  loadPrograms();
  loadReferrals();
  loadHistory();
  renderLines();
})();
