// TCM syndrome differentiation on the visit page: tongue, coating and pulse from the lists, the
// symptoms as written; the disease, the syndromes with the findings behind them, the treatment
// principle and the Chinese patent medicines: on a saved visit each is a button that adds its
// usual line to the prescription below with one tap — this clinic's shelf first, then the central
// pharmacy, disabled with the reason when the prescribing rules refuse it for this patient. A
// reference for the doctor; the prescription is checked again when it is issued.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var state = { encounterId: null };
  document.addEventListener("encounter-saved", function (event) { state.encounterId = event.detail.id; });

  // Tongue colour and coating are one choice each; the tongue's shape and marks (胖大, 齿痕) and the
  // pulse are ticked, as many as the doctor finds (脉浮紧 is 浮 + 紧; 舌淡胖有齿痕 is three).
  function vocabulary(category) {
    return gpassist.call("GET", "/api/v1/tcm/vocabulary?limit=200&category=" + category);
  }
  function label(entry, short) {
    if (ui.lang === "en") return entry.en.replace(/ pulse$/, "");
    return short ? entry.text : entry.zh;
  }
  document.querySelectorAll("#tcm select[data-category]").forEach(function (select) {
    vocabulary(select.dataset.category).then(function (list) {
      list.items.forEach(function (entry) {
        if (entry.feature) return;  // ticked below the colour
        select.appendChild(el("option", { value: entry.code, text: label(entry) }));
      });
    });
  });
  document.querySelectorAll("#tcm fieldset.tick-chips").forEach(function (box) {
    var features = box.dataset.feature === "true", pulse = box.dataset.category === "pulse";
    vocabulary(box.dataset.category).then(function (list) {
      list.items.forEach(function (entry) {
        if (!!entry.feature !== features) return;
        var id = box.id + "-" + entry.code;
        box.appendChild(el("label", { for: id, class: "tick-chip", title: ui.lang === "en" ? entry.en : entry.zh }, [
          el("input", { type: "checkbox", id: id, value: entry.code, "data-text": entry.text, "data-en": entry.en }),
          label(entry, pulse),
        ]));
      });
    });
  });
  function ticked(id) {
    return Array.prototype.slice.call(document.querySelectorAll("#" + id + " input:checked"));
  }
  // the pulse as it will be written, in the list's order (浮 before 紧)
  document.getElementById("t-pulse").addEventListener("change", function () {
    var boxes = ticked("t-pulse");  // in document order, which is the list's writing order
    var out = document.getElementById("t-pulse-text");
    if (ui.lang === "en") out.textContent = boxes.map(function (box) { return box.dataset.en; }).join(", ");
    else out.textContent = boxes.length ? "脉" + boxes.map(function (box) { return box.dataset.text; }).join("") : "";
  });

  function percent(p) { return (p * 100).toFixed(0) + "%"; }
  function findings(list) { return list.map(function (f) { return f.zh; }).join("、"); }


  // The learned model (four heart and brain diseases) is shown only where it takes part: without
  // a knowledge base, or when the combination used it for this record.
  function learnedApplies(answer) { return !answer.kb || answer.kb.combined.learned_used; }

  // The catalog codes an answer suggests, best first: the knowledge base's leading syndrome's
  // medicines (kb.diseases[0].syndromes[0].medicines[].code), then the learned model's per
  // treatment (treatments[].medicines[].code) where it applies, or a per-syndrome
  // patent_medicines: [{code, …}] list. Every shape is read, so the panel works with either.
  function suggestedCodes(answer) {
    var codes = [];
    function take(list) {
      (list || []).forEach(function (m) {
        var code = typeof m === "string" ? m : m && m.code;
        if (code && codes.indexOf(code) < 0) codes.push(code);
      });
    }
    var lead = answer.kb && answer.kb.diseases[0];
    // a syndrome the clinic must send on (a stroke's acute stage) is not treated here
    if (lead && lead.syndromes.length && lead.syndromes[0].referral) return codes;
    if (lead && lead.syndromes.length) take(lead.syndromes[0].medicines);
    if (!learnedApplies(answer)) return codes;
    (answer.treatments || []).forEach(function (t) { take(t.medicines); take(t.patent_medicines); });
    (answer.syndromes || []).slice(0, 3).forEach(function (s) {
      if (s.suggested !== false) take(s.patent_medicines);
    });
    return codes;
  }

  function addLine(m, button) {
    document.dispatchEvent(new CustomEvent("prescribe-line", { detail: {
      drug: { code: m.code, generic_name: m.name, strength: m.strength, dose_unit: m.dose_unit,
        dose_form: m.dose_form, in_formulary: m.in_formulary },
      // the usual dose in the product's own unit (1 袋, 4 粒), as the prescribing list writes it
      dose: m.line.dose, dose_count: m.line.dose_count, frequency: m.line.frequency,
      frequency_label: m.line.frequency_label, days: m.line.days,
      acknowledged: m.warnings.map(function (w) { return w.caution; }),
    } }));
    button.disabled = true;
    button.textContent = "✓ " + ui.text(m.name) + " · " + S.tcm_rx_added;
  }

  function medicineButtons(items, first) {
    return el("ul", { class: "tcm-rx-list" }, items.map(function (m, k) {
      var noteId = "tcm-rx-note-" + (first + k);
      var notes = m.refusals.length ? S.tcm_rx_refused + m.refusals.map(ui.text).join("；")
        : m.warnings.length ? S.tcm_rx_caution + m.warnings.map(ui.text).join("；") : "";
      var usage = m.line ? S.rx_each + " " + m.line.dose_count + " " + (m.dose_form ? ui.text(m.dose_form.unit) : m.dose_unit)
        + "，" + ui.text(m.line.frequency_label) + "，" + S.rx_for + " " + m.line.days + " " + S.rx_days : "";
      var button = el("button", { type: "button", class: "rx-one-tap", "data-code": m.code,
        disabled: !m.prescribable, "aria-describedby": notes ? noteId : null,
        onclick: function () { addLine(m, button); } },
        ["＋ " + S.tcm_rx_add + "：" + ui.text(m.name) + " " + (m.strength || "")]);
      return el("li", {}, [
        button, " ",
        el("span", { class: "flag" + (m.where === "clinic" ? "" : " bad"), text: m.where === "clinic" ? S.tcm_rx_clinic : S.tcm_rx_central }),
        " ", el("span", { class: "muted small", text: usage }),
        notes ? el("p", { id: noteId, class: "warn small", text: notes }) : null,
      ]);
    }));
  }

  function onePerMedicine(items, shown) {
    var seen = shown.map(function (m) { return ui.text(m.name); });
    return items.filter(function (m) {
      var key = ui.text(m.name);
      if (seen.indexOf(key) >= 0) return false;
      seen.push(key);
      return true;
    });
  }

  // The suggested medicines as this clinic gives them, checked for this patient (nothing written).
  function loadOptions(codes, box) {
    if (!codes.length) return;
    if (!state.encounterId) { box.appendChild(el("p", { class: "muted small", text: S.tcm_rx_save_first })); return; }
    var holder = el("div", { id: "tcm-rx" });
    box.appendChild(holder);
    ui.loading(holder);
    gpassist.call("GET", "/api/v1/encounters/" + state.encounterId + "/medicine-options?codes=" + encodeURIComponent(codes.join(",")))
      .then(function (answer) {
        // one button a medicine (the clinic's shelf first, as the server orders them: the doctor
        // changes the strength in the prescription if need be); the ones the rules refuse for
        // this patient are folded away below, reasons kept
        var can = onePerMedicine(answer.items.filter(function (m) { return m.prescribable; }), []);
        var refused = onePerMedicine(answer.items.filter(function (m) { return !m.prescribable; }), can);
        ui.replace(holder, el("div", {}, [
          el("h3", { text: S.tcm_medicine }),
          can.length ? medicineButtons(can, 0) : el("p", { class: "muted small", text: S.tcm_rx_none_prescribable }),
          refused.length ? el("details", { class: "tcm-rx-refused" }, [
            el("summary", { text: S.tcm_rx_refused_more.replace("{n}", refused.length) }),
            medicineButtons(refused, can.length),
          ]) : null,
        ]));
      }, function () { ui.replace(holder, null); });
  }

  function name(x) { return ui.lang === "en" ? x.en : x.zh; }

  // The knowledge base's 辨证: the leading disease · syndrome with its 治法, 代表方 and the findings
  // for and against it; what to ask when two syndromes are close; the next candidates.
  function kbView(kb) {
    var lead = kb.diseases[0], top = lead.syndromes[0];
    var box = el("div", { id: "tcm-kb" }, [el("h3", { text: S.tcm_kb_title })]);
    // a suspected stroke: said before anything else on the panel
    if (kb.red_flag) box.appendChild(el("p", { id: "tcm-red-flag", class: "warn", role: "alert", text: ui.text(kb.red_flag) }));
    box.appendChild(el("p", { class: "tcm-lead" }, [el("strong", { text: name(lead) + " · " + name(top) }),
      " ", el("span", { class: "muted small", text: S.tcm_fit + " " + percent(top.fit) })]));
    box.appendChild(el("p", { id: "tcm-kb-treatment" }, [
      el("strong", { text: S.tcm_principle + "：" }), ui.text(top.principle), "　",
      el("strong", { text: S.tcm_formula + "：" }), ui.text(top.formula)]));
    if (top.supporting.length) {
      box.appendChild(el("p", { class: "small" }, [el("strong", { text: S.dx_because + "：" }), findings(top.supporting)]));
    }
    if (top.against.length) {
      box.appendChild(el("p", { class: "small warn" }, [el("strong", { text: S.tcm_against + "：" }), findings(top.against)]));
    }
    if (top.referral) box.appendChild(el("p", { class: "warn", text: S.tcm_referral }));
    if (kb.close && kb.ask_next.length) {
      box.appendChild(el("p", { class: "small" }, [el("strong", { text: S.tcm_ask_next }),
        kb.ask_next.map(function (a) { return a.zh + "（" + a.favours + "）"; }).join("、")]));
    }
    var others = lead.syndromes.slice(1, 3).map(function (s) { return { d: lead, s: s }; });
    kb.diseases.slice(1, 3).forEach(function (d) { if (d.syndromes.length) others.push({ d: d, s: d.syndromes[0] }); });
    if (others.length) {
      box.appendChild(ui.table([
        { title: S.tcm_others, render: function (o) { return name(o.d) + " · " + name(o.s); } },
        { title: S.tcm_fit, render: function (o) { return percent(o.s.fit); } },
        { title: S.tcm_principle, render: function (o) { return ui.text(o.s.principle) + "（" + ui.text(o.s.formula) + "）"; } },
      ], others));
    }
    kb.notes.forEach(function (note) { box.appendChild(el("p", { class: "muted small", text: ui.text(note) })); });
    if (top.status === "machine") box.appendChild(el("p", { class: "muted small", text: S.tcm_machine }));
    return box;
  }

  function show(answer) {
    var box = el("div", {});
    var hasKb = answer.kb && answer.kb.diseases.length;
    if (hasKb) box.appendChild(kbView(answer.kb));
    var learned = hasKb ? el("details", {}, [el("summary", { text: S.tcm_learned })]) : box;
    if (hasKb && learnedApplies(answer)) learned.open = true;
    if (hasKb) box.appendChild(learned);
    learnedView(answer, learned, hasKb);
    loadOptions(suggestedCodes(answer), box);
    // the learned model's caveat (four diseases, research records) goes with its answer when
    // that answer took no part; the knowledge base's view carries its own
    var caveat = el("p", { class: "muted small", text: ui.text(answer.notice) });
    (hasKb && !learnedApplies(answer) ? learned : box).appendChild(caveat);
    // what the saved visit added to the record (its vitals, the patient's known conditions)
    (answer.from_visit || []).forEach(function (note) {
      box.appendChild(el("p", { class: "muted small", text: ui.text(note) }));
    });
    ui.replace(document.getElementById("tcm-result"), box);
  }

  function learnedView(answer, box, hasKb) {
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
    var codes = suggestedCodes(answer);
    answer.treatments.slice(0, 1).forEach(function (t) {
      box.appendChild(el("p", {}, [el("strong", { text: S.tcm_principle + "：" }), ui.text(t.principle)]));
      if (state.encounterId && codes.length) return;  // the one-tap list below shows them
      if (hasKb && !learnedApplies(answer)) return;  // not this record's model: no medicines from it
      box.appendChild(ui.table([
        { title: S.tcm_medicine, render: function (m) { return ui.lang === "en" ? m.en : m.zh; } },
        { title: S.tcm_in_formulary, render: function (m) {
          return el("span", { class: "flag" + (m.in_formulary ? "" : " bad"), text: m.in_formulary ? S.rx_here : S.rx_central });
        } },
      ], t.medicines, t.note ? ui.text(t.note) : S.none));
    });
  }

  document.getElementById("tcm").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    var tongue = document.getElementById("t-tongue").value, coating = document.getElementById("t-coating").value;
    var codes = function (id) { return ticked(id).map(function (box) { return box.value; }); };
    var tongues = (tongue ? [tongue] : []).concat(codes("t-tongue-features"));
    if (tongues.length) body.tongue_colour = tongues;
    if (coating) body.coating = [coating];
    if (codes("t-pulse").length) body.pulse = codes("t-pulse");
    var text = document.getElementById("t-symptoms").value.trim();
    if (text) body.symptoms_text = text;
    var complaint = document.getElementById("e-complaint").value.trim();
    if (complaint) body.chief_complaint = complaint;
    if (state.encounterId) body.encounter_id = state.encounterId;
    ui.loading(document.getElementById("tcm-result"));
    gpassist.call("POST", "/api/v1/tcm/suggest", body).then(show, function () { ui.replace(document.getElementById("tcm-result"), null); });
  });
})();
