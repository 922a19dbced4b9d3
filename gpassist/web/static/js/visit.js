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
  // doctor to press 保存就诊 first. A visit is never lost or doubled:
  // - the first save carries a client key (Idempotency-Key) kept in localStorage with its body
  //   until the server answers, so a double tap, a retry or a reload replays it, never a second
  //   visit; one save is in flight at a time and the button is disabled meanwhile;
  // - later edits of the form PATCH the saved visit;
  // - today's open (unsettled) visit of the patient is resumed on reload;
  // - every field of the page (inputs, selects, textareas of every section, by element id) is
  //   kept as a draft in localStorage per patient and restored after a reload; a save that met
  //   a dropped connection is sent when the link returns;
  // - leaving with unsaved text asks first; settling the visit closes it and clears its drafts.
  var form = document.getElementById("encounter");
  var saveButton = form.querySelector("button[type=submit]");
  var status = document.getElementById("encounter-status");
  var main = document.querySelector("main") || document.body;
  var storeKey = "gpassist:visit:" + clinic + ":" + patientId;
  var inflight = null;
  var unsavedChecks = [];
  var restoring = {};  // element id → draft value still waiting for its element or option

  function today() { return new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" }); }

  // saved: the saved visit's complaint and vitals, for a page that opens offline (no server to ask).
  function freshStore() { return { day: today(), fields: {}, pending: null, encounterId: null, saved: null, wantSave: false }; }

  function readStore() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(storeKey) || "null");
      if (saved && saved.day === today()) return saved;  // yesterday's drafts are not today's visit
    } catch (err) { /* a broken draft is no draft */ }
    return freshStore();
  }
  // Drafts hold patients' words on a shared clinic computer: any visit's drafts older than today
  // are removed whenever a visit page opens (settling removes a visit's drafts at once).
  function sweepOldDrafts() {
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf("gpassist:visit:") === 0) {
          var kept = null;
          try { kept = JSON.parse(window.localStorage.getItem(key)); } catch (err) { /* broken */ }
          if (!kept || kept.day !== today()) window.localStorage.removeItem(key);
        }
      }
    } catch (err) { /* storage off: nothing kept */ }
  }
  sweepOldDrafts();
  var store = readStore();

  function writeStore() {
    if (state.closed) return;
    try { window.localStorage.setItem(storeKey, JSON.stringify(store)); } catch (err) { /* full or off */ }
  }

  function clearStore() {
    try { window.localStorage.removeItem(storeKey); } catch (err) { /* nothing kept */ }
  }

  function draftable(node) {
    if (!node.id || node.closest("[data-no-draft]")) return false;
    if (!/^(INPUT|SELECT|TEXTAREA)$/.test(node.tagName)) return false;
    return !/^(password|file|hidden|submit|button|reset|image)$/.test(node.type);
  }

  function valueOf(node) {
    if (node.type === "checkbox" || node.type === "radio") return node.checked;
    return node.value;
  }

  function defaultOf(node) {
    if (node.type === "checkbox" || node.type === "radio") return node.defaultChecked;
    if (node.tagName === "SELECT") {
      var chosen = Array.prototype.find.call(node.options, function (o) { return o.defaultSelected; });
      return chosen ? chosen.value : (node.options[0] ? node.options[0].value : "");
    }
    return node.defaultValue;
  }

  // Put a draft back; false while its element or (for a select) its option is not there yet.
  function apply(id, value) {
    var node = document.getElementById(id);
    if (!node || !draftable(node)) return false;
    if (node.type === "checkbox" || node.type === "radio") node.checked = !!value;
    else {
      if (node.tagName === "SELECT" && !Array.prototype.some.call(node.options, function (o) { return o.value === value; })) return false;
      node.value = value;
    }
    node.dispatchEvent(new Event("input", { bubbles: true }));
    node.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function restoreDrafts(fields) {
    Object.keys(fields || {}).forEach(function (id) {
      if (!apply(id, fields[id])) restoring[id] = fields[id];
    });
  }

  // Sections draw fields later (options from the API, the follow-up form for an enrolled
  // patient): their drafts go back as soon as they appear.
  new MutationObserver(function () {
    Object.keys(restoring).forEach(function (id) { if (apply(id, restoring[id])) delete restoring[id]; });
  }).observe(main, { childList: true, subtree: true });

  function inVisitForm(node) { return form.contains(node); }

  // The drafts are the page's fields that differ from what they started as; the visit form's
  // fields only while they differ from the saved visit (a saved field's draft is cleared).
  function snapshot() {
    if (state.closed) return;
    var fields = {};
    var formDirty = visitFormDirty();
    Array.prototype.forEach.call(main.querySelectorAll("input, select, textarea"), function (node) {
      if (!draftable(node)) return;
      if (inVisitForm(node) && !formDirty) return;
      if (valueOf(node) !== defaultOf(node) || (inVisitForm(node) && state.encounterId)) fields[node.id] = valueOf(node);
    });
    Object.keys(restoring).forEach(function (id) { fields[id] = restoring[id]; });
    store.fields = fields;
    writeStore();
  }

  main.addEventListener("input", snapshot);
  main.addEventListener("change", snapshot);
  window.addEventListener("pagehide", snapshot);
  document.addEventListener("visibilitychange", function () { if (document.hidden) snapshot(); });

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function visitFormDirty() {
    var body = encounterBody(form);
    if (!state.encounterId) return body.chief_complaint !== "" || Object.keys(body.vitals).length > 0;
    return !same(body, state.savedBody);
  }

  function unsaved() {
    if (state.closed) return false;
    var typedBeforeSaving = !state.encounterId && Object.keys(store.fields || {}).length > 0;
    return !!store.pending || typedBeforeSaving || visitFormDirty() ||
      unsavedChecks.some(function (check) { return check(); });
  }

  // Logging out clears every draft (api.js): ask first, then stop keeping this page's.
  document.addEventListener("logging-out", function (event) {
    if (unsaved() && !window.confirm(S.logout_unsaved)) { event.preventDefault(); return; }
    state.closed = true;
  });
  window.addEventListener("beforeunload", function (event) {
    snapshot();
    if (!unsaved()) return;
    event.preventDefault();
    event.returnValue = "";  // the browser asks "leave the page?" in its own words
  });

  function fill(encounter) {
    var fields = { "e-complaint": encounter.chief_complaint };
    var vitals = encounter.vitals || {};
    VITALS.forEach(function (key) {
      var node = form.elements[key];
      if (node) fields[node.id] = vitals[key] === null || vitals[key] === undefined ? "" : String(vitals[key]);
    });
    fields["e-fasting"] = vitals.glucose_fasting === null || vitals.glucose_fasting === undefined ? "" : String(vitals.glucose_fasting);
    Object.keys(fields).forEach(function (id) { var node = document.getElementById(id); if (node) node.value = fields[id]; });
  }

  // A visit found on the server while the doctor may have typed over it (a page opened offline
  // looks it up when the link returns): the form keeps what is typed, and the visit's own values
  // are what "saved" means, so the next save sends the difference.
  function adoptKeepingTheForm(encounter) {
    var typed = Array.prototype.map.call(form.elements, function (node) { return [node, node.value]; });
    fill(encounter);
    var savedBody = encounterBody(form);
    typed.forEach(function (pair) { pair[0].value = pair[1]; });
    adopt(encounter, savedBody, true);
  }

  // Today's open (unsettled) visits of this patient at this clinic, newest first.
  function todaysOpenVisits() {
    return gpassist.call("GET", base + "/encounters/today").then(function (list) {
      state.lookedUp = true;
      return list.items;
    });
  }

  // The visit the drafts belong to, else today's newest open one, adopted without touching the
  // form; shared by the callers while one lookup is under way.
  var lookingUp = null;
  function lookUpTodaysVisit() {
    if (!lookingUp) {
      lookingUp = todaysOpenVisits().then(function (open) {
        lookingUp = null;
        var mine = store.encounterId && open.filter(function (e) { return e.id === store.encounterId; })[0];
        if (store.encounterId && !mine) store.encounterId = null;  // settled meanwhile: what is typed is a new visit
        var encounter = mine || open[0];
        if (encounter && !state.encounterId) adoptKeepingTheForm(encounter);
      }, function (err) { lookingUp = null; throw err; });
    }
    return lookingUp;
  }

  // The saved visit from now on: remember it, tell the other sections.
  function adopt(encounter, body, resumed) {
    state.encounterId = encounter.id;
    state.encounter = encounter;
    state.savedBody = body;
    store.encounterId = encounter.id;
    store.saved = body;
    store.pending = null;
    snapshot();
    document.dispatchEvent(new CustomEvent("encounter-saved", { detail: encounter }));
    if (!resumed) loadHistory();  // a saved or edited visit shows in the history and the chart
  }

  // Worth sending again with the same key: no answer at all (offline, a dropped link) or the
  // server (or a proxy) failing on its side; a refusal of the visit itself (4xx) is not.
  function retryable(err) {
    var code = err && err.status;
    return !code || code >= 500 || code === 429;
  }

  function busy(on) {
    saveButton.disabled = on;
    saveButton.setAttribute("aria-busy", on ? "true" : "false");
  }

  // Send what is waiting: the first save (with its key, exactly as first sent), then the form
  // as it is now if it differs from the saved visit. One run at a time; callers share it.
  function flush() {
    if (inflight) return inflight;
    busy(true);
    status.textContent = S.saving;
    inflight = (async function () {
      // A page that opened without an answer from the server (the service worker's copy, offline)
      // has not seen today's visit yet: look for it before recording a new one, never a second.
      if (!state.encounterId && !store.pending && !state.lookedUp) await lookUpTodaysVisit();
      if (!state.encounterId) {
        if (!store.pending) {
          var body = encounterBody(form);
          store.pending = { key: gpassist.newKey("visit-"), body: body };
          writeStore();
        }
        var pending = store.pending;
        var created = await gpassist.call("POST", base + "/encounters", pending.body, { "Idempotency-Key": pending.key });
        adopt(created, pending.body);
      }
      var now = encounterBody(form);
      if (!same(now, state.savedBody)) {
        var updated = await gpassist.call("PATCH", "/api/v1/encounters/" + state.encounterId, now);
        adopt(updated, now);
      }
      return state.encounter;
    })().then(function (encounter) {
      inflight = null;
      busy(false);
      store.wantSave = false;
      writeStore();
      status.textContent = S.saved;
      return encounter;
    }, function (err) {
      inflight = null;
      busy(false);
      if (retryable(err)) {
        store.wantSave = true;  // sent again when the link returns (the "online" event)
        writeStore();
        status.textContent = err && err.status ? S.visit_retry : S.visit_offline;
      } else {
        store.pending = null;  // refused (a field, a key conflict): the next save starts afresh
        store.wantSave = false;
        writeStore();
        status.textContent = "";
      }
      throw err;
    });
    return inflight;
  }

  // The contract for the other sections: the saved visit, saving it first if need be.
  function ensureSaved() {
    if (state.encounterId && !inflight) return Promise.resolve(state.encounter);
    return flush();
  }

  window.visitPage = {
    ensureSaved: ensureSaved,
    encounterId: function () { return state.encounterId; },
    // A section with something of its own not yet sent (e.g. prescription lines not issued)
    // adds a check, so leaving the page asks first.
    addUnsavedCheck: function (check) { unsavedChecks.push(check); },
  };

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (inflight) return;  // a double tap: the save under way is the one
    flush().catch(function () {});
  });

  window.addEventListener("online", function () {
    if (store.wantSave || store.pending) flush().catch(function () {});
    else if (!state.lookedUp && !state.encounterId) lookUpTodaysVisit().catch(function () {});
  });

  // On load: a save that never got its answer is sent again (same key: at most one visit);
  // otherwise today's open visit of this patient is resumed; then the drafts go back on top.
  function resume() {
    var drafts = store.fields;
    if (store.pending) {
      restoreDrafts(drafts);
      return flush().catch(function () {});
    }
    return todaysOpenVisits().then(function (open) {
      var mine = store.encounterId && open.filter(function (e) { return e.id === store.encounterId; })[0];
      if (store.encounterId && !mine) {  // the drafts' visit was settled meanwhile: start afresh
        store = freshStore();
        drafts = {};
      }
      var encounter = mine || open[0];
      if (encounter) {
        fill(encounter);
        adopt(encounter, encounterBody(form), true);
        status.textContent = S.visit_resumed;
      }
      restoreDrafts(drafts);
      if (Object.keys(drafts).length) status.textContent = (encounter ? S.visit_resumed + " " : "") + S.visit_draft_restored;
      snapshot();
      if (store.wantSave) flush().catch(function () {});
    }, function () {
      // No answer (the page came from the service worker's copy while offline): the saved visit
      // as this browser last saw it, and the drafts on top, come back all the same; today's visit
      // is looked up on the server when the link returns, before anything is saved.
      var known = store.encounterId && store.saved;
      if (known) fill(store.saved);
      restoreDrafts(drafts);
      var said = [];
      if (known) said.push(S.visit_resumed);
      if (Object.keys(drafts).length) said.push(S.visit_draft_restored);
      if (store.wantSave) said = [S.visit_offline];
      status.textContent = said.join(" ");
      snapshot();
    });
  }

  // Settling closes the visit: nothing of it is kept in the browser any more.
  function closeVisit() {
    state.closed = true;
    clearStore();
  }

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

  // --- the visit's one bill ---------------------------------------------------------------------
  // The visit's fee (preselected) and any other service items, with the drugs of the visit's
  // issued prescriptions, settled together: one settlement, one receipt. Drugs come only from
  // prescriptions (the server refuses them otherwise), so every prescribing rule applies.
  var billNode = document.getElementById("bill");
  var search = document.getElementById("b-search");
  var options = document.getElementById("b-options");
  var services = {};  // datalist label → service item
  var billKey = gpassist.newKey("bill-");  // one key per bill: pressing 结算 twice settles once
  state.services = [];
  state.drugLines = [];

  function serviceLabel(item) { return ui.text(item.name) + " · " + ui.fen(item.unit_price_fen) + S.yuan; }

  function addService(item, quantity) {
    var line = state.services.filter(function (l) { return l.code === item.code; })[0];
    if (line) line.quantity += quantity;
    else state.services.push({ code: item.code, name: item.name, quantity: quantity, unit_price_fen: item.unit_price_fen });
  }

  gpassist.call("GET", "/api/v1/service-items?limit=100").then(function (list) {
    list.items.forEach(function (item) {
      services[serviceLabel(item)] = item;
      options.appendChild(el("option", { value: serviceLabel(item) }));
      if (item.code === billNode.dataset.fee && !state.services.length) addService(item, 1);
    });
    renderLines();
  });

  // The drugs to bill: every line of the visit's prescriptions not settled yet.
  function loadDrugLines() {
    if (!state.encounterId) return;
    gpassist.call("GET", "/api/v1/encounters/" + state.encounterId + "/prescriptions").then(function (list) {
      state.drugLines = [];
      list.items.filter(function (rx) { return !rx.settlement_id; }).forEach(function (rx) {
        rx.lines.forEach(function (l) {
          state.drugLines.push({ name: ui.text(l.drug_name) + " " + l.strength, quantity: l.quantity,
            unit: ui.text(l.unit), amount_fen: l.amount_fen });
        });
      });
      renderLines();
    });
  }
  document.addEventListener("encounter-saved", function (event) {
    if (!state.billLoadedFor || state.billLoadedFor !== event.detail.id) { state.billLoadedFor = event.detail.id; loadDrugLines(); }
  });
  document.addEventListener("prescription-issued", loadDrugLines);

  function renderLines() {
    var rows = state.drugLines.map(function (l) {
      return { name: l.name, quantity: l.quantity + l.unit, amount_fen: l.amount_fen, from: S.bill_from_rx };
    }).concat(state.services.map(function (l) {
      return { name: ui.text(l.name), quantity: l.quantity, amount_fen: l.unit_price_fen * l.quantity, service: l };
    }));
    var total = rows.reduce(function (sum, r) { return sum + r.amount_fen; }, 0);
    var table = ui.table([
      { title: S.item, render: function (r) { return r.from ? el("span", {}, [r.name + " ", el("span", { class: "flag", text: r.from })]) : r.name; } },
      { title: S.quantity, render: function (r) { return r.quantity; } },
      { title: S.amount, render: function (r) { return ui.fen(r.amount_fen); } },
      { title: "", render: function (r) {
        if (!r.service) return "";
        return el("button", { type: "button", text: S.remove, "aria-label": S.remove + " " + r.name,
          onclick: function () { state.services.splice(state.services.indexOf(r.service), 1); renderLines(); } });
      } },
    ], rows, S.no_items);
    ui.replace(document.getElementById("b-lines"), table);
    if (rows.length) document.getElementById("b-lines").appendChild(el("p", {}, [S.total + " ", el("strong", { text: ui.fen(total) + S.yuan })]));
    document.getElementById("b-settle").disabled = rows.length === 0 || state.settling;
  }

  document.getElementById("b-add").addEventListener("click", function () {
    var chosen = services[search.value];
    var quantity = parseInt(document.getElementById("b-qty").value, 10);
    if (!chosen) { gpassist.showProblem({ title: S.bill_pick_service }); return; }
    if (!(quantity >= 1)) { gpassist.showProblem({ title: S.bad_quantity }); return; }
    addService(chosen, quantity);
    search.value = "";
    document.getElementById("b-qty").value = "1";
    renderLines();
    search.focus();
  });

  billNode.addEventListener("submit", function (event) {
    event.preventDefault();
    if (state.settling) return;
    var button = document.getElementById("b-settle");
    state.settling = true;
    button.disabled = true;
    var body = { visit_type: document.getElementById("b-visit-type").value,
      services: state.services.map(function (l) { return { service: l.code, quantity: l.quantity }; }) };
    ensureSaved().then(function (encounter) {
      return gpassist.call("POST", "/api/v1/encounters/" + encounter.id + "/settlement", body, { "Idempotency-Key": billKey });
    }).then(showReceipt, function () { state.settling = false; renderLines(); });
  });

  function showReceipt(receipt) {
    var node = document.getElementById("settlement");
    var lines = ui.table([
      { title: S.item, render: function (l) { return l.description; } },
      { title: S.quantity, render: function (l) { return l.quantity; } },
      { title: S.amount, render: function (l) { return ui.fen(l.amount_fen); } },
      { title: S.bill_insurers, render: function (l) { return ui.fen(l.insurers_fen); } },
      { title: S.patient_pays, render: function (l) { return ui.fen(l.patient_fen); } },
    ], receipt.lines);
    var shares = receipt.shares.filter(function (s) { return s.amount_fen; }).map(function (s) {
      return el("li", { text: ui.text(s.name) + " " + ui.fen(s.amount_fen) });
    });
    ui.replace(node, el("div", { class: "receipt" }, [
      el("h3", { text: S.settled }),
      lines,
      el("p", {}, [S.total + " " + ui.fen(receipt.total_fen) + " · " + S.bill_insurers + " " + ui.fen(receipt.insurers_fen) +
        " · " + S.patient_pays + " ", el("strong", { text: ui.fen(receipt.patient_fen) })]),
      shares.length ? el("ul", { class: "muted small" }, shares) : null,
      el("a", { href: "/api/v1/settlements/" + receipt.settlement_id + "/receipt.html", target: "_blank",
        class: "button", text: S.print_receipt }),
    ]));
    state.services = [];
    state.drugLines = [];
    state.settling = false;
    billKey = gpassist.newKey("bill-");
    renderLines();
    closeVisit();
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
  resume();
})();
