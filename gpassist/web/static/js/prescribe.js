// Prescribing on the visit page, in the product's own unit: the doctor finds a drug by pinyin
// initials, full pinyin, Chinese, English or brand name, and writes "每次 1 片" with the strength
// shown (1 片 = 0.5 g). Each line is checked by the server's prescribing rules when it is added
// (the refusal, in Chinese, stays beside the form); the fields then start empty for the next
// line. 续方 adds the patient's current long-term medicines with one tap. Lines the clinic stocks
// are dispensed here, the rest go to the central pharmacy as one order (the server decides).
// Then the slip prints; the drugs are billed with the visit's fee in one bill (visit.js, 本次收费).
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var head = document.getElementById("patient");
  var patientId = head.dataset.patientId;
  var state = { lines: [], chosen: null, timer: null, prescription: null, seq: 0, checking: 0 };
  var drugInput = document.getElementById("rx-drug");
  var hits = document.getElementById("rx-hits");
  var doseInput = document.getElementById("rx-dose");
  var daysInput = document.getElementById("rx-days");
  var frequencySelect = document.getElementById("rx-frequency");
  var checkBox = document.getElementById("rx-check");

  function encounter() {
    // the shared save of the visit form: prescribing never asks the doctor to save first
    return window.visitPage && window.visitPage.ensureSaved ? window.visitPage.ensureSaved()
      : Promise.reject(new Error("no visit page"));
  }

  function count(n) {
    var whole = Math.floor(n + 1e-9), part = Math.round((n - whole) * 100) / 100;
    var fraction = { 0.5: "½", 0.25: "¼", 0.75: "¾" }[part];
    if (fraction) return (whole ? String(whole) : "") + fraction;
    return String(Math.round(n * 1000) / 1000);
  }
  function formUnit(drug) { return ui.text(drug.dose_form.unit); }
  function brandNote(drug) {
    return drug.brand_names && drug.brand_names.length
      ? "（" + S.rx_brand + " " + drug.brand_names.map(ui.text).join("、") + "）" : "";
  }
  function drugName(drug) { return ui.text(drug.generic_name) + " " + (drug.strength || ""); }

  // --- search: the server ranks (whole name, name start, inside; this clinic's shelf first) ---
  drugInput.addEventListener("input", function () {
    clearTimeout(state.timer);
    if (state.chosen && drugInput.value !== drugName(state.chosen)) choose(null);
    var q = drugInput.value.trim();
    if (!q) { ui.replace(hits, null); return; }
    state.timer = setTimeout(function () { search(q); }, 200);
  });
  drugInput.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();  // Enter picks the best match instead of adding the line
    var first = hits.querySelector("button");
    if (first) first.click();
  });

  function search(q) {
    var asked = ++state.seq;
    gpassist.call("GET", "/api/v1/drugs?limit=8&q=" + encodeURIComponent(q)).then(function (list) {
      if (asked !== state.seq) return;  // an older answer arriving late
      ui.replace(hits, null);
      if (!list.items.length) { hits.appendChild(el("p", { class: "muted small", text: S.rx_no_drug })); return; }
      list.items.forEach(function (d) {
        var where = d.in_formulary ? S.rx_in_formulary_short : S.rx_central_short;
        hits.appendChild(el("button", { type: "button", class: "rx-hit", "data-code": d.code,
          onclick: function () { choose(d); } },
          [drugName(d) + brandNote(d) + " · " + where]));
      });
    });
  }

  function choose(drug) {
    state.chosen = drug;
    var unit = document.getElementById("rx-unit"), strength = document.getElementById("rx-strength");
    if (!drug) {
      unit.textContent = S.rx_pick_first;
      strength.textContent = "";
      document.getElementById("rx-stock").textContent = "";
      doseInput.step = "any";
      return;
    }
    drugInput.value = drugName(drug);
    ui.replace(hits, null);
    unit.textContent = "（" + formUnit(drug) + "）";
    doseInput.step = String(drug.dose_form.smallest);
    doseInput.min = String(drug.dose_form.smallest);
    strength.textContent = ui.text(drug.dose_hint);  // 1 片（0.5 g）；最小 ½ 片；每日最多 4 片（2 g）
    document.getElementById("rx-stock").textContent = drug.in_formulary ? S.rx_in_formulary : S.rx_central;
    doseInput.focus();
  }

  function showRefusals(refusals, extra) {
    ui.replace(checkBox, null);
    if (!refusals.length) return;
    checkBox.appendChild(el("div", { class: "warn" }, [
      el("strong", { text: S.rx_refused }),
      el("ul", {}, refusals.map(function (r) { return el("li", { text: ui.lang === "en" ? r.message : r.message_zh }); })),
      extra || null,
    ]));
  }

  // Check lines (the ones on the list and the new ones) with the server's rules, writing
  // nothing; add the new ones that pass. A warn-level caution (慎用) is added only when the doctor
  // taps the acknowledgement under it.
  // While a line is being checked the prescription cannot be issued: a tap on 开具处方 then
  // would issue without the line the doctor has just added.
  function checkAndAdd(newLines) {
    state.checking += 1;
    render();
    var done = function () { state.checking -= 1; render(); };
    return checkLines(newLines).then(function (n) { done(); return n; }, function (err) { done(); throw err; });
  }

  function checkLines(newLines) {
    return encounter().then(function (visit) {
      var all = state.lines.concat(newLines);
      var body = requestBody(all);
      return gpassist.call("POST", "/api/v1/encounters/" + visit.id + "/prescription-check", body).then(function (answer) {
        var first = state.lines.length, added = [], refusals = [], cautions = [];
        newLines.forEach(function (line, k) {
          var i = first + k, prefix = "body.lines." + i + ".";
          var mine = answer.refusals.filter(function (r) { return r.field.indexOf(prefix) === 0 || r.field === "body.lines." + i; });
          var hard = mine.filter(function (r) { return r.code !== "caution"; });
          if (hard.length) { refusals = refusals.concat(hard); return; }
          line.checked = answer.lines[i];
          if (mine.length) { cautions.push({ line: line, notes: mine }); return; }
          added.push(line);
        });
        added.forEach(function (line) { state.lines.push(line); });
        var acknowledge = null;
        if (cautions.length) {
          refusals = refusals.concat([].concat.apply([], cautions.map(function (c) { return c.notes; })));
          acknowledge = el("button", { type: "button", text: S.rx_acknowledge, onclick: function () {
            cautions.forEach(function (c) {
              c.line.acknowledged = c.notes.map(function (n) { return n.caution; });
              state.lines.push(c.line);
            });
            showRefusals([]);
            render();
          } });
        }
        showRefusals(refusals, acknowledge);
        render();
        return added.length + (cautions.length ? 0 : 0);
      });
    });
  }

  document.getElementById("rx-add").addEventListener("submit", function (event) {
    event.preventDefault();
    var drug = state.chosen;
    var dose = Number(doseInput.value);
    var days = parseInt(daysInput.value, 10);
    if (!drug) { showRefusals([{ message: S.pick_drug, message_zh: S.pick_drug }]); drugInput.focus(); return; }
    if (!(dose > 0) || !(days >= 1)) { showRefusals([{ message: S.rx_dose_days, message_zh: S.rx_dose_days }]); return; }
    var line = { drug: drug, dose_count: dose, frequency: frequencySelect.value, days: days };
    checkAndAdd([line]).then(function () {
      if (state.lines.indexOf(line) < 0) return;  // refused: the fields stay for the correction
      clearForm();
      drugInput.focus();
    });
  });

  // each new line starts empty: no dose or days carried over from the last one
  function clearForm() {
    drugInput.value = "";
    doseInput.value = "";
    daysInput.value = "";
    frequencySelect.selectedIndex = 0;
    choose(null);
  }

  // A line from elsewhere on the page (the TCM panel's one-tap patent medicines): the same list,
  // the same issue button, the same checks on the server. ``acknowledged`` carries the codes of
  // the warn-level cautions (慎用) the panel showed beside the button the doctor tapped.
  document.addEventListener("prescribe-line", function (event) {
    var l = event.detail;
    state.lines.push({ drug: l.drug, dose: l.dose, dose_count: l.dose_count, days: l.days, frequency: l.frequency,
      frequency_label: l.frequency_label, acknowledged: l.acknowledged || [] });
    render();
  });

  function usage(l) {
    if (l.checked) return ui.text(l.checked.usage);
    var unit = l.drug.dose_form ? ui.text(l.drug.dose_form.unit) : l.drug.dose_unit;
    var n = l.dose_count !== undefined && l.dose_count !== null ? l.dose_count : l.dose;
    var often = l.frequency_label ? ui.text(l.frequency_label) : frequencyText(l.frequency);
    return S.rx_each + " " + count(n) + " " + unit + "，" + often + "，" + S.rx_for + " " + l.days + " " + S.rx_days;
  }
  function frequencyText(code) {
    var option = frequencySelect.querySelector('option[value="' + code + '"]');
    return option ? option.textContent : code;
  }

  function render() {
    ui.replace(document.getElementById("rx-lines"), ui.table([
      { title: S.drug, render: function (l) { return drugName(l.drug); } },
      { title: S.rx_usage, render: usage },
      { title: S.rx_where, render: function (l) { return l.drug.in_formulary ? S.rx_in_formulary_short : S.rx_central_short; } },
      { title: "", render: function (l) {
        return el("button", { type: "button", text: S.remove, "aria-label": S.remove + " " + ui.text(l.drug.generic_name),
          onclick: function () { state.lines.splice(state.lines.indexOf(l), 1); render(); } });
      } },
    ], state.lines, S.rx_no_lines));
    var issue = document.getElementById("rx-issue");
    issue.disabled = state.lines.length === 0 || state.checking > 0;
    issue.setAttribute("aria-busy", state.checking > 0 ? "true" : "false");
  }

  function requestBody(lines) {
    var body = { lines: lines.map(function (l) {
      var out = { drug: l.drug.code, frequency: l.frequency, days: l.days };
      if (l.dose_count !== undefined && l.dose_count !== null) out.dose_count = l.dose_count; else out.dose = l.dose;
      return out;
    }) };
    var acknowledged = [];
    lines.forEach(function (l) {
      (l.acknowledged || []).forEach(function (code) { if (code && acknowledged.indexOf(code) < 0) acknowledged.push(code); });
    });
    if (acknowledged.length) body.acknowledged_cautions = acknowledged;
    var reason = document.getElementById("rx-reason").value.trim();
    if (reason.length >= 2) body.long_prescription_reason = reason;
    return body;
  }

  // --- 续方: the patient's current long-term medicines, all added with one tap ---
  function loadRepeat() {
    var box = document.getElementById("rx-repeat");
    gpassist.call("GET", "/api/v1/patients/" + patientId + "/current-medicines").then(function (answer) {
      if (!answer.items.length) { ui.replace(box, null); return; }
      var button = el("button", { type: "button", id: "rx-repeat-all", class: "primary-outline",
        text: S.rx_repeat.replace("{n}", answer.items.length) });
      button.addEventListener("click", function () {
        button.disabled = true;
        var lines = answer.items.map(function (m) {
          return { drug: { code: m.drug, generic_name: m.drug_name, strength: m.strength, dose_unit: m.dose_unit,
            dose_form: m.dose_form, in_formulary: m.in_formulary },
            dose_count: m.dose_count, frequency: m.frequency, frequency_label: m.frequency_label, days: m.days };
        });
        var have = state.lines.map(function (l) { return l.drug.code; });
        lines = lines.filter(function (l) { return have.indexOf(l.drug.code) < 0; });
        checkAndAdd(lines).then(function () { button.disabled = false; }, function () { button.disabled = false; });
      });
      ui.replace(box, el("div", {}, [
        el("h3", { text: S.rx_current }),
        el("ul", {}, answer.items.map(function (m) {
          return el("li", {}, [ui.text(m.drug_name) + " " + m.strength + " · " + ui.text(m.usage) + " ",
            el("span", { class: "muted small", text: ui.text(m.why) + " · " + S.rx_last + " " + m.last_prescribed_on })]);
        })),
        button,
      ]));
    }, function () { ui.replace(box, null); });
  }
  if (patientId) loadRepeat();

  document.getElementById("rx-issue").addEventListener("click", function () {
    var issue = document.getElementById("rx-issue");
    issue.disabled = true;
    encounter().then(function (visit) {
      return gpassist.call("POST", "/api/v1/encounters/" + visit.id + "/prescriptions", requestBody(state.lines)).then(issued);
    }).then(null, function (err) {
      if (err && err.problem && err.problem.errors) showRefusals(err.problem.errors);
      issue.disabled = state.lines.length === 0;
    });
  });

  function issued(rx) {
    state.prescription = rx;
    state.lines = [];
    showRefusals([]);
    render();
    // One bill per visit: the drugs are settled with the visit's fee in 本次收费 (visit.js).
    document.dispatchEvent(new CustomEvent("prescription-issued", { detail: rx }));
    var result = el("div", {}, [
      ui.table([
        { title: S.drug, render: function (l) { return ui.text(l.drug_name) + " " + l.strength; } },
        { title: S.rx_usage, render: function (l) { return ui.text(l.usage); } },
        { title: S.quantity, render: function (l) { return l.quantity + ui.text(l.unit); } },
        { title: S.rx_where, render: function (l) {
          return el("span", { class: "flag" + (l.source === "central" ? " bad" : ""), text: l.source === "central" ? S.rx_central : S.rx_here });
        } },
      ], rx.lines),
      rx.pharmacy_order_id ? el("p", { text: S.rx_order + " #" + rx.pharmacy_order_id }) : null,
      el("p", { class: "actions" }, [
        el("a", { href: "/api/v1/prescriptions/" + rx.id + "/slip.html", target: "_blank", class: "button", text: S.print_slip }),
        el("span", { class: "muted small", text: S.rx_bill_with_visit }),
      ]),
    ]);
    ui.replace(document.getElementById("rx-result"), result);
  }

  render();
})();
