// Assisted diagnosis on the visit page: read the complaint into suggested findings (chips the
// doctor accepts, flips or removes), pick symptoms (pinyin search), get the differential and the
// triage, answer the suggested next question, confirm the diagnosis on the saved visit.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var head = document.getElementById("patient");
  var state = { evidence: {}, names: {}, durations: {}, suggested: [], asked: 0, encounterId: null, timer: null };
  var search = document.getElementById("dx-search");
  var hits = document.getElementById("dx-hits");
  var chosen = document.getElementById("dx-evidence");
  var result = document.getElementById("dx-result");

  document.addEventListener("encounter-saved", function (event) { state.encounterId = event.detail.id; });

  function name(code) { return state.names[code] || code; }

  // 3 → "3天", 14 → "2周", 3650 → "10年"; null → "" (the complaint did not say how long).
  function howLong(days) {
    if (days === null || days === undefined) return "";
    if (days === 0) return S.dx_today;
    if (days < 1) return Math.round(days * 24) + S.dx_hours;
    if (days >= 365 && days % 365 === 0) return days / 365 + S.dx_years;
    if (days >= 30 && days % 30 === 0) return days / 30 + S.dx_months;
    if (days >= 7 && days % 7 === 0) return days / 7 + S.dx_weeks;
    return days + S.dx_days;
  }

  // What a chip shows ("+ 发热 3天") and says to a screen reader ("发热 3天：有"); the spoken name
  // holds the visible words, so voice control finds the chip by what it shows.
  function chipContent(value, label, long, note) {
    var mark = value === "present" ? "+" : value === "absent" ? "−" : "?";
    var span = el("span", {}, [mark + " " + label]);
    if (long) span.appendChild(el("span", { class: "duration", text: " " + long }));
    if (note) span.appendChild(el("span", { class: "duration", text: " " + note }));
    return span;
  }

  function chipName(value, label, long, note) {
    return label + (long ? " " + long : "") + (note ? " " + note : "") + "：" + stateWord(value);
  }

  function stateWord(value) { return value === "present" ? S.dx_yes : value === "absent" ? S.dx_no : S.dx_not_sure; }

  function renderEvidence() {
    ui.replace(chosen, null);
    Object.keys(state.evidence).forEach(function (code) {
      var value = state.evidence[code];
      var long = value === "present" ? howLong(state.durations[code]) : "";
      chosen.appendChild(el("button", { type: "button", class: "chip " + value,
        "aria-label": chipName(value, name(code), long), onclick: function () {
          state.evidence[code] = value === "present" ? "absent" : value === "absent" ? "unknown" : "present";
          renderEvidence();
        } }, [chipContent(value, name(code), long)]));
      chosen.appendChild(el("button", { type: "button", class: "chip-remove", text: "×", "aria-label": S.remove + " " + name(code),
        onclick: function () { delete state.evidence[code]; delete state.durations[code]; renderEvidence(); } }));
    });
  }

  function addSymptom(hit) {
    state.names[hit.code] = ui.lang === "en" ? hit.en : hit.zh;
    state.evidence[hit.code] = "present";
    state.suggested = state.suggested.filter(function (f) { return f.code !== hit.code; });
    renderSuggested();
    search.value = "";
    ui.replace(hits, null);
    renderEvidence();
    search.focus();
  }

  // --- the complaint as suggested findings ---------------------------------------------------
  var complaint = document.getElementById("e-complaint");
  var suggested = document.getElementById("dx-suggested");
  var acceptAll = document.getElementById("dx-accept-all");
  var unmatched = document.getElementById("dx-unmatched");
  var PROGRAM_HISTORY = { hypertension: "history-hypertension", diabetes: "history-diabetes" };

  function renderSuggested() {
    ui.replace(suggested, null);
    state.suggested.forEach(function (f, i) {
      var long = f.state === "present" ? howLong(f.duration_days) : "";
      var label = chipName(f.state, name(f.code), long, f.note);
      suggested.appendChild(el("span", { class: "suggestion", "data-code": f.code }, [
        el("button", { type: "button", class: "chip " + f.state, "aria-label": label + "。" + S.dx_flip, title: S.dx_flip,
          onclick: function () { f.state = f.state === "present" ? "absent" : "present"; renderSuggested(); focusChip(i, ".chip"); } },
          [chipContent(f.state, name(f.code), long, f.note)]),
        el("button", { type: "button", class: "chip-accept", text: "✓", "aria-label": S.dx_accept + " " + label,
          onclick: function () { accept([f]); focusChip(i, ".chip-accept"); } }),
        el("button", { type: "button", class: "chip-remove", text: "×", "aria-label": S.remove + " " + name(f.code),
          onclick: function () { state.suggested.splice(i, 1); renderSuggested(); focusChip(i, ".chip-remove"); } }),
      ]));
    });
    acceptAll.hidden = state.suggested.length < 2;
  }

  // After a chip goes away, keep the keyboard where it was (the next chip, or the search box).
  function focusChip(i, selector) {
    var rows = suggested.querySelectorAll(".suggestion");
    var row = rows[Math.min(i, rows.length - 1)];
    (row ? row.querySelector(selector) : search).focus();
  }

  function accept(findings) {
    findings.forEach(function (f) {
      state.evidence[f.code] = f.state;
      if (f.duration_days !== null && f.duration_days !== undefined) state.durations[f.code] = f.duration_days;
      state.suggested = state.suggested.filter(function (g) { return g !== f; });
    });
    renderSuggested();
    renderEvidence();
  }

  function suggest(findings) {
    findings.forEach(function (f) {
      state.names[f.code] = ui.lang === "en" ? f.en : f.zh;
      var known = state.suggested.some(function (g) { return g.code === f.code; });
      if (!known && !(f.code in state.evidence)) state.suggested.push(f);
    });
    renderSuggested();
  }

  function readComplaint() {
    var text = complaint.value.trim();
    if (!text) return;
    gpassist.call("POST", "/api/v1/diagnosis/complaint", { text: text }).then(function (answer) {
      // a new reading replaces the suggestions of the last one (accepted findings stay)
      state.suggested = state.suggested.filter(function (f) { return f.note; });
      suggest(answer.findings);
      var missed = answer.unmatched.map(function (c) { return c.text; });
      unmatched.textContent = !answer.findings.length ? S.dx_nothing_found : missed.length ? S.dx_unmatched + missed.join("、") : "";
    });
  }

  // An enrolled hypertensive (or diabetic) patient: the known diagnosis is offered as a finding,
  // when the model has that code.
  document.addEventListener("programs-loaded", function (event) {
    event.detail.forEach(function (enrolment) {
      var code = PROGRAM_HISTORY[enrolment.program];
      if (!code) return;
      gpassist.call("GET", "/api/v1/diagnosis/symptoms?limit=1&q=" + encodeURIComponent(code)).then(function (list) {
        var hit = list.items[0];
        if (!hit || hit.code !== code) return;
        suggest([{ code: code, zh: hit.zh, en: hit.en, state: "present", duration_days: null, note: S.dx_from_program }]);
      });
    });
  });

  document.getElementById("dx-read").addEventListener("click", readComplaint);
  complaint.addEventListener("change", readComplaint);
  acceptAll.addEventListener("click", function () { accept(state.suggested.slice()); search.focus(); });

  search.addEventListener("input", function () {
    clearTimeout(state.timer);
    var q = search.value.trim();
    if (!q) { ui.replace(hits, null); return; }
    state.timer = setTimeout(function () {
      gpassist.call("GET", "/api/v1/diagnosis/symptoms?limit=8&q=" + encodeURIComponent(q)).then(function (list) {
        ui.replace(hits, null);
        list.items.forEach(function (hit) {
          hits.appendChild(el("button", { type: "button", class: "chip hit", text: ui.lang === "en" ? hit.en : hit.zh + " " + hit.en,
            onclick: function () { addSymptom(hit); } }));
        });
        if (!list.items.length) hits.appendChild(el("span", { class: "muted", text: S.none }));
      });
    }, 200);
  });

  function vitals() {
    var form = document.getElementById("encounter"), out = {};
    ["sbp", "dbp", "heart_rate", "spo2"].forEach(function (key) {
      var v = form.elements[key].value.trim(); if (v !== "") out[key] = parseInt(v, 10);
    });
    ["temperature_c", "glucose_mmol_l"].forEach(function (key) {
      var v = form.elements[key].value.trim(); if (v !== "") out[key] = Number(v);
    });
    return out;
  }

  function ask() {
    var body = { age: Number(head.dataset.age), sex: head.dataset.sex, evidence: state.evidence,
      vitals: vitals(), questions_asked: state.asked };
    if (state.encounterId) body.encounter_id = state.encounterId;
    ui.loading(result);
    gpassist.call("POST", "/api/v1/diagnosis/interview", body).then(show, function () { ui.replace(result, null); });
  }

  var LEVEL = { emergency: "dx_emergency", refer: "dx_refer", treat_here: "dx_treat_here" };

  function show(answer) {
    var box = el("div", {});
    var triage = el("div", { class: "triage " + answer.triage.level, role: "status" }, [
      el("strong", { text: S[LEVEL[answer.triage.level]] }),
      el("ul", {}, answer.triage.reasons.map(function (r) { return el("li", { text: ui.lang === "en" ? r.en : r.zh }); })),
    ]);
    box.appendChild(triage);
    if (answer.out_of_scope) {
      box.appendChild(el("p", { class: "warn", text: S.dx_out_of_scope + " " + answer.notes.map(ui.text).join(" ") }));
    }
    if (answer.next_question && !answer.should_stop) {
      var q = answer.next_question;
      state.names[q.code] = ui.lang === "en" ? q.en : q.zh;
      function reply(value) { state.evidence[q.code] = value; state.asked += 1; renderEvidence(); ask(); }
      box.appendChild(el("div", { class: "question" }, [
        el("span", { text: S.dx_ask + " " + name(q.code) + "？" }),
        el("button", { type: "button", text: S.dx_yes, onclick: function () { reply("present"); } }),
        el("button", { type: "button", text: S.dx_no, onclick: function () { reply("absent"); } }),
        el("button", { type: "button", text: S.dx_not_sure, onclick: function () { reply("unknown"); } }),
      ]));
    }
    box.appendChild(ui.table([
      { title: S.diagnoses, render: function (d) { return (ui.lang === "en" ? d.en : d.zh) + (d.urgency === "emergency" ? " ⚠" : ""); } },
      { title: "ICD-10", render: function (d) { return d.icd10 || ""; } },
      { title: S.dx_probability, render: function (d) { return (d.probability * 100).toFixed(1) + "%"; } },
      { title: S.dx_because, render: function (d) { return d.supporting.map(function (s) { return ui.lang === "en" ? s.en : s.zh; }).join("、"); } },
      { title: "", render: function (d) {
        return el("button", { type: "button", text: S.dx_confirm, "aria-label": S.dx_confirm + " " + (ui.lang === "en" ? d.en : d.zh),
          onclick: function (event) { confirm(d, event.currentTarget); } });
      } },
    ], answer.differential.slice(0, 5)));
    box.appendChild(el("p", { class: "muted small", text: S.dx_model + " " + ui.text(answer.model.title) + " " + answer.model.version }));
    ui.replace(result, box);
  }

  // A suggestion is confirmed like a picked diagnosis (dx-picker.js): the visit is saved first.
  function confirm(d, near) {
    window.dxPicker.confirm({ condition: d.code, icd10: d.icd10, zh: d.zh, en: d.en }, near).catch(function () {});
  }

  document.getElementById("dx-suggest").addEventListener("click", function () { state.asked = 0; ask(); });
})();
