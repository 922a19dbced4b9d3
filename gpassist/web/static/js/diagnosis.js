// Assisted diagnosis on the visit page: pick symptoms (pinyin search), get the differential and
// the triage, answer the suggested next question, confirm the diagnosis on the saved visit.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var head = document.getElementById("patient");
  var state = { evidence: {}, names: {}, asked: 0, encounterId: null, timer: null };
  var search = document.getElementById("dx-search");
  var hits = document.getElementById("dx-hits");
  var chosen = document.getElementById("dx-evidence");
  var result = document.getElementById("dx-result");

  document.addEventListener("encounter-saved", function (event) { state.encounterId = event.detail.id; });

  function name(code) { return state.names[code] || code; }

  function renderEvidence() {
    ui.replace(chosen, null);
    Object.keys(state.evidence).forEach(function (code) {
      var value = state.evidence[code];
      var word = value === "present" ? S.dx_yes : value === "absent" ? S.dx_no : S.dx_not_sure;
      var mark = value === "present" ? "+" : value === "absent" ? "−" : "?";
      chosen.appendChild(el("button", { type: "button", class: "chip " + value, "aria-label": name(code) + "：" + word,
        text: mark + " " + name(code), onclick: function () {
          state.evidence[code] = value === "present" ? "absent" : value === "absent" ? "unknown" : "present";
          renderEvidence();
        } }));
      chosen.appendChild(el("button", { type: "button", class: "chip-remove", text: "×", "aria-label": S.remove + " " + name(code),
        onclick: function () { delete state.evidence[code]; renderEvidence(); } }));
    });
  }

  function addSymptom(hit) {
    state.names[hit.code] = ui.lang === "en" ? hit.en : hit.zh;
    state.evidence[hit.code] = "present";
    search.value = "";
    ui.replace(hits, null);
    renderEvidence();
    search.focus();
  }

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
          onclick: function () { confirm(d); } });
      } },
    ], answer.differential.slice(0, 5)));
    box.appendChild(el("p", { class: "muted small", text: S.dx_model + " " + ui.text(answer.model.title) + " " + answer.model.version }));
    ui.replace(result, box);
  }

  function confirm(d) {
    if (!state.encounterId) { gpassist.showProblem({ title: S.dx_save_first }); return; }
    gpassist.call("POST", "/api/v1/encounters/" + state.encounterId + "/diagnosis", { condition: d.code }).then(function () {
      result.appendChild(el("p", { class: "ok", role: "status", text: S.dx_confirmed + " " + (ui.lang === "en" ? d.en : d.zh) }));
    });
  }

  document.getElementById("dx-suggest").addEventListener("click", function () { state.asked = 0; ask(); });
})();
