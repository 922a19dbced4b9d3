// TCM syndrome differentiation on the visit page: tongue, coating and pulse from the lists, the
// symptoms as written; the disease, the syndromes with the findings behind them, the treatment
// principle and the Chinese patent medicines (in or out of this clinic's formulary). A reference
// for the doctor, never a prescription.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var state = { encounterId: null };
  document.addEventListener("encounter-saved", function (event) { state.encounterId = event.detail.id; });

  document.querySelectorAll("#tcm select[data-category]").forEach(function (select) {
    gpassist.call("GET", "/api/v1/tcm/vocabulary?limit=200&category=" + select.dataset.category).then(function (list) {
      list.items.forEach(function (entry) {
        select.appendChild(el("option", { value: entry.code, text: ui.lang === "en" ? entry.en : entry.zh }));
      });
    });
  });

  function percent(p) { return (p * 100).toFixed(0) + "%"; }
  function findings(list) { return list.map(function (f) { return f.zh; }).join("、"); }

  function show(answer) {
    var box = el("div", {});
    if (answer.out_of_scope) {
      box.appendChild(el("p", { class: "warn", text: answer.scope_notes.map(ui.text).join(" ") }));
    }
    box.appendChild(el("p", {}, [el("strong", { text: S.tcm_disease + "：" }),
      (ui.lang === "en" ? answer.disease.en : answer.disease.zh) + "（" + percent(answer.disease.probability) + "）"]));
    box.appendChild(ui.table([
      { title: S.tcm_syndrome, render: function (s) { return (ui.lang === "en" ? s.en : s.zh) + (s.suggested ? " ✓" : ""); } },
      { title: S.dx_probability, render: function (s) { return percent(s.probability); } },
      { title: S.dx_because, render: function (s) { return findings(s.supporting); } },
    ], answer.syndromes.slice(0, 4)));
    answer.treatments.slice(0, 1).forEach(function (t) {
      box.appendChild(el("p", {}, [el("strong", { text: S.tcm_principle + "：" }), ui.text(t.principle)]));
      box.appendChild(ui.table([
        { title: S.tcm_medicine, render: function (m) { return ui.lang === "en" ? m.en : m.zh; } },
        { title: S.tcm_in_formulary, render: function (m) {
          return el("span", { class: "flag" + (m.in_formulary ? "" : " bad"), text: m.in_formulary ? S.rx_here : S.rx_central });
        } },
      ], t.medicines, t.note ? ui.text(t.note) : S.none));
    });
    box.appendChild(el("p", { class: "muted small", text: ui.text(answer.notice) }));
    ui.replace(document.getElementById("tcm-result"), box);
  }

  document.getElementById("tcm").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    [["t-tongue", "tongue_colour"], ["t-coating", "coating"], ["t-pulse", "pulse"]].forEach(function (pair) {
      var value = document.getElementById(pair[0]).value;
      if (value) body[pair[1]] = [value];
    });
    var text = document.getElementById("t-symptoms").value.trim();
    if (text) body.symptoms_text = text;
    var complaint = document.getElementById("e-complaint").value.trim();
    if (complaint) body.chief_complaint = complaint;
    if (state.encounterId) body.encounter_id = state.encounterId;
    ui.loading(document.getElementById("tcm-result"));
    gpassist.call("POST", "/api/v1/tcm/suggest", body).then(show, function () { ui.replace(document.getElementById("tcm-result"), null); });
  });
})();
