// The diagnosis picker on the visit page: find any listed ICD-10 diagnosis by Chinese name, pinyin
// initials or code and confirm it with one tap; the patient's known diagnoses (programs, past
// visits) are chips confirmed with one tap; the model's suggestion list (diagnosis.js) confirms
// through the same function. Confirming saves the visit first when it is not saved yet.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var head = document.getElementById("patient");
  var input = document.getElementById("dx-pick");
  var hits = document.getElementById("dx-pick-hits");
  var known = document.getElementById("dx-known");
  var shown = document.getElementById("dx-confirmed");
  if (!head || !input) return;
  var state = { confirmed: [], hits: [], timer: null, seq: 0, busy: false };

  function nameOf(d) { return ui.lang === "en" ? d.en || d.zh : d.zh || d.en; }
  function label(d) { return nameOf(d) + "（" + d.icd10 + "）"; }
  function isConfirmed(d) { return state.confirmed.some(function (c) { return c.icd10 === d.icd10; }); }

  // What is confirmed on the visit, each with × to take it off again (a mis-tap is undone).
  function renderConfirmed() {
    ui.replace(shown, state.confirmed.length ? null : document.createTextNode(S.dxp_none_yet));
    state.confirmed.forEach(function (d) {
      shown.appendChild(el("span", { class: "dx-confirmed-item" }, [
        el("span", { class: "dx-confirmed-name", text: label(d) }),
        el("button", { type: "button", class: "chip-remove", text: "×", "aria-label": S.dxp_undo + " " + label(d),
          onclick: function (event) { takeOff(d, event.currentTarget); } }),
      ]));
    });
    Array.prototype.forEach.call(known.querySelectorAll("button"), function (chip) {
      chip.classList.toggle("present", state.confirmed.some(function (c) { return c.icd10 === chip.dataset.icd10; }));
    });
  }

  // Confirm ``d`` ({icd10, zh, en} from the list, or a model condition with ``condition``) on the
  // visit, saving the visit first if need be. Resolves with the confirmed diagnosis.
  function confirm(d, near) {
    if (isConfirmed(d)) { gpassist.showSuccess(S.dxp_already + " " + label(d), near); return Promise.resolve(d); }
    if (state.busy) return Promise.resolve(null);  // a double tap confirms once
    state.busy = true;
    return window.visitPage.ensureSaved().then(function (encounter) {
      var body = d.condition ? { condition: d.condition, model: d.model || undefined } : { icd10: d.icd10, zh: d.zh };
      return gpassist.call("POST", "/api/v1/encounters/" + encounter.id + "/diagnosis", body);
    }).then(function (confirmed) {
      state.busy = false;
      var entry = { icd10: confirmed.icd10, zh: confirmed.zh, en: confirmed.en };
      if (!isConfirmed(entry)) state.confirmed.push(entry);  // the visit's own list may have it
      renderConfirmed();
      gpassist.showSuccess(S.dxp_confirmed_now + " " + label(entry), near);
      if (near && hits.contains(near)) { input.value = ""; state.hits = []; ui.replace(hits, null); }
      document.dispatchEvent(new CustomEvent("diagnosis-confirmed", { detail: confirmed }));
      return entry;
    }, function (error) { state.busy = false; throw error; });
  }

  function whoChip(d) {
    return el("button", { type: "button", class: "chip hit who", "data-icd10": d.icd10,
      "aria-label": d.icd10 + " " + (d.en || "") + "：" + S.dxp_who_name,
      onclick: function (event) { nameAndConfirm(d, event.currentTarget); } },
    [el("span", { text: d.icd10 + " " }), el("span", { class: "duration", lang: "en", text: d.en || "" })]);
  }

  function takeOff(d, near) {
    var encounterId = window.visitPage.encounterId();
    if (!encounterId) return;
    var left = state.confirmed.filter(function (c) { return c.icd10 !== d.icd10; });
    gpassist.call("PATCH", "/api/v1/encounters/" + encounterId, { diagnoses: left.map(function (c) { return c.icd10; }) })
      .then(function (encounter) {
        state.confirmed = left.filter(function (c) { return encounter.diagnoses.indexOf(c.icd10) >= 0; });
        gpassist.showSuccess(S.dxp_undone + " " + label(d), shown);
        renderConfirmed();
      }, function () {});
  }

  function chip(d, extra) {
    var button = el("button", { type: "button", class: "chip hit", "data-icd10": d.icd10,
      // the spoken name starts with the visible words, so voice control finds the chip
      "aria-label": nameOf(d) + " " + d.icd10 + "：" + S.dxp_confirm + (extra ? "（" + extra + "）" : ""),
      onclick: function (event) { confirm(d, event.currentTarget).catch(function () {}); } },
    [nameOf(d) + " ", el("span", { class: "duration", text: d.icd10 })]);
    return button;
  }

  // A WHO code with no Chinese name in the list: the doctor names it, then confirms.
  function nameAndConfirm(d, near) {
    var field = el("input", { id: "dx-who-name", maxlength: "200", autocomplete: "off" });
    var go = function () {
      var zh = field.value.trim();
      if (!zh) { field.focus(); return; }
      confirm({ icd10: d.icd10, zh: zh, en: d.en }, go.button).then(function (done) {
        if (done) { input.value = ""; state.hits = []; ui.replace(hits, null); }
      }, function () {});
    };
    go.button = el("button", { type: "button", text: S.dxp_confirm, onclick: go });
    field.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); go(); } });
    ui.replace(hits, el("div", { class: "dx-who" }, [
      el("p", { class: "small", text: d.icd10 + " " + (d.en || "") }),
      el("label", { for: "dx-who-name", text: S.dxp_who_name }), field, go.button]));
    field.focus();
  }

  function renderHits(items) {
    ui.replace(hits, null);
    state.hits = items.filter(function (d) { return d.zh; });
    items.forEach(function (d) { hits.appendChild(d.zh ? chip(d) : whoChip(d)); });
    if (!items.length) hits.appendChild(el("span", { class: "muted small", text: S.dxp_none }));
  }

  function search() {
    var q = input.value.trim();
    var seq = ++state.seq;
    if (!q) { ui.replace(hits, null); state.hits = []; return; }
    gpassist.call("GET", "/api/v1/diagnoses?limit=8&q=" + encodeURIComponent(q)).then(function (list) {
      if (seq === state.seq) renderHits(list.items);  // an older answer never replaces a newer one
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(state.timer);
    state.timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (!state.hits.length) return;
    confirm(state.hits[0], input).then(function (d) {
      if (d) { input.value = ""; state.hits = []; ui.replace(hits, null); }
    }, function () {});
  });

  function loadKnown() {
    gpassist.call("GET", "/api/v1/patients/" + head.dataset.patientId + "/diagnoses").then(function (list) {
      state.known = list.items;
      ui.replace(known, null);
      list.items.forEach(function (d) { known.appendChild(chip(d, d.program ? S.dxp_from_program : null)); });
      renderConfirmed();
    });
  }

  // A saved or resumed visit: show what is confirmed on it (the codes still on the visit, by the
  // names they were confirmed with).
  // A recorded follow-up puts the programme's diagnosis on the visit (the server does it): show it.
  document.addEventListener("followup-recorded", function () {
    var id = window.visitPage.encounterId();
    if (!id) return;
    gpassist.call("GET", "/api/v1/encounters/" + id).then(function (encounter) {
      (state.known || []).forEach(function (d) {
        if (encounter.diagnoses.indexOf(d.icd10) >= 0 && !isConfirmed(d)) state.confirmed.push({ icd10: d.icd10, zh: d.zh, en: d.en });
      });
      renderConfirmed();
    }, function () {});
  });

  document.addEventListener("encounter-saved", function (event) {
    var onVisit = event.detail.diagnoses || [];
    gpassist.call("GET", "/api/v1/encounters/" + event.detail.id + "/diagnosis").then(function (answer) {
      answer.confirmed.forEach(function (c) {
        if (!isConfirmed(c) && onVisit.indexOf(c.icd10) >= 0) state.confirmed.push({ icd10: c.icd10, zh: c.zh, en: c.en });
      });
      renderConfirmed();
    });
  });

  loadKnown();
  window.dxPicker = { confirm: confirm };
})();
