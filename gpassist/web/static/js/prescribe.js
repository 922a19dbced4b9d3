// Prescribing on the visit page: lines the clinic stocks are dispensed here, the rest go to the
// central pharmacy as one order (the server decides; the page shows the formulary as a hint).
// Then the slip prints; the drugs are billed with the visit's fee in one bill (visit.js, 本次收费).
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var head = document.getElementById("patient");
  var clinic = head.dataset.clinic;
  var state = { encounterId: null, lines: [], catalog: {}, formulary: {}, timer: null, prescription: null };
  var drugInput = document.getElementById("rx-drug");
  var options = document.getElementById("rx-options");

  document.addEventListener("encounter-saved", function (event) { state.encounterId = event.detail.id; });

  function label(drug) { return ui.text(drug.generic_name) + " " + drug.strength + " · " + drug.code; }

  gpassist.call("GET", "/api/v1/drugs?limit=500&clinic=" + encodeURIComponent(clinic)).then(function (list) {
    list.items.forEach(function (d) { state.formulary[d.code] = true; });
  });

  drugInput.addEventListener("input", function () {
    clearTimeout(state.timer);
    var q = drugInput.value.trim();
    var chosen = state.catalog[drugInput.value];
    if (chosen) { describe(chosen); return; }
    if (!q) return;
    state.timer = setTimeout(function () {
      gpassist.call("GET", "/api/v1/drugs?limit=20&q=" + encodeURIComponent(q)).then(function (list) {
        ui.replace(options, null);
        list.items.forEach(function (d) {
          state.catalog[label(d)] = d;
          options.appendChild(el("option", { value: label(d) }));
        });
      });
    }, 250);
  });

  function describe(drug) {
    document.getElementById("rx-unit").textContent = "(" + drug.dose_unit + ")";
    document.getElementById("rx-stock").textContent = state.formulary[drug.code] ? S.rx_in_formulary : S.rx_central;
  }

  document.getElementById("rx-add").addEventListener("submit", function (event) {
    event.preventDefault();
    var drug = state.catalog[drugInput.value];
    var dose = Number(document.getElementById("rx-dose").value);
    var days = parseInt(document.getElementById("rx-days").value, 10);
    if (!drug) { gpassist.showProblem({ title: S.pick_from_list }); return; }
    if (!(dose > 0) || !(days >= 1)) { gpassist.showProblem({ title: S.rx_dose_days }); return; }
    state.lines.push({ drug: drug, dose: dose, days: days, frequency: document.getElementById("rx-frequency").value });
    drugInput.value = "";
    document.getElementById("rx-stock").textContent = "";
    render();
    drugInput.focus();
  });

  // A line from elsewhere on the page (the TCM panel's one-tap patent medicines): the same list,
  // the same issue button, the same checks on the server. ``acknowledged`` carries the codes of
  // the warn-level cautions (慎用) the panel showed beside the button the doctor tapped.
  document.addEventListener("prescribe-line", function (event) {
    var l = event.detail;
    state.lines.push({ drug: l.drug, dose: l.dose, days: l.days, frequency: l.frequency, acknowledged: l.acknowledged || [] });
    render();
  });

  function render() {
    ui.replace(document.getElementById("rx-lines"), ui.table([
      { title: S.drug, render: function (l) { return ui.text(l.drug.generic_name) + " " + l.drug.strength; } },
      { title: S.rx_usage, render: function (l) { return l.dose + " " + l.drug.dose_unit + " " + l.frequency + " × " + l.days + S.rx_days; } },
      { title: S.rx_where, render: function (l) { return state.formulary[l.drug.code] ? S.rx_in_formulary : S.rx_central; } },
      { title: "", render: function (l) {
        return el("button", { type: "button", text: S.remove, "aria-label": S.remove + " " + ui.text(l.drug.generic_name),
          onclick: function () { state.lines.splice(state.lines.indexOf(l), 1); render(); } });
      } },
    ], state.lines, S.no_items));
    document.getElementById("rx-issue").disabled = state.lines.length === 0;
  }

  document.getElementById("rx-issue").addEventListener("click", function () {
    if (!state.encounterId) { gpassist.showProblem({ title: S.rx_save_first }); return; }
    var body = { lines: state.lines.map(function (l) {
      return { drug: l.drug.code, dose: l.dose, frequency: l.frequency, days: l.days };
    }) };
    var acknowledged = [];
    state.lines.forEach(function (l) {
      (l.acknowledged || []).forEach(function (code) { if (acknowledged.indexOf(code) < 0) acknowledged.push(code); });
    });
    if (acknowledged.length) body.acknowledged_cautions = acknowledged;
    var reason = document.getElementById("rx-reason").value.trim();
    if (reason) body.long_prescription_reason = reason;
    gpassist.call("POST", "/api/v1/encounters/" + state.encounterId + "/prescriptions", body)
      .then(issued, function () {});  // a refusal is shown by api.js; nothing else to do
  });

  function issued(rx) {
    state.prescription = rx;
    state.lines = [];
    render();
    // One bill per visit: the drugs are settled with the visit's fee in 本次收费 (visit.js).
    document.dispatchEvent(new CustomEvent("prescription-issued", { detail: rx }));
    var result = el("div", {}, [
      ui.table([
        { title: S.drug, render: function (l) { return ui.text(l.drug_name) + " " + l.strength; } },
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
})();
