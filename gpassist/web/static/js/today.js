// The village doctor's morning: who is due, who is overdue, which referrals are urgent.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;

  function patientLink(id, name) {
    return el("a", { href: "/app/patients/" + id, text: name });
  }

  function reading(item) {
    var parts = [];
    if (item.last_sbp !== null) parts.push(S.bp + " " + item.last_sbp + "/" + item.last_dbp);
    if (item.last_fasting_glucose !== null) parts.push(S.glucose + " " + item.last_fasting_glucose);
    return parts.join("，") || S.none;
  }

  function programName(code) { return code === "hypertension" ? S.hypertension : S.diabetes; }

  function showWorklist(node) {
    ui.loading(node);
    gpassist.call("GET", "/api/v1/follow-ups/" + node.dataset.worklist).then(function (list) {
      var late = node.dataset.worklist === "overdue" || node.dataset.worklist === "lost";
      ui.replace(node, ui.table([
        { title: S.patient, render: function (r) { return patientLink(r.patient_id, r.patient_name); } },
        { title: S.age, render: function (r) { return r.age; } },
        { title: S.village, render: function (r) { return r.village; } },
        { title: S.program, render: function (r) { return programName(r.program); } },
        late ? { title: S.days_overdue, render: function (r) { return r.days_overdue; } }
          : { title: S.next_due, render: function (r) { return r.next_due; } },
        { title: S.last_reading, render: reading },
      ], list.items));
    });
  }

  function showReferrals(node) {
    ui.loading(node);
    gpassist.call("GET", "/api/v1/referrals?status=open").then(function (list) {
      var urgent = list.items.filter(function (r) { return r.urgent; });
      ui.replace(node, ui.table([
        { title: S.patient, render: function (r) { return patientLink(r.patient_id, r.patient_name); } },
        { title: S.department, render: function (r) { return ui.text(r.department_name); } },
        { title: S.reason, render: function (r) { return r.reason_texts.map(ui.text).join("；"); } },
      ], urgent));
    });
  }

  // Orders from the central pharmacy for this clinic, until the patient has collected them.
  function showOrders(node) {
    ui.loading(node);
    // open_only: a collected (or cancelled) order leaves the list.
    gpassist.call("GET", "/api/v1/pharmacy/orders?open_only=true&limit=100").then(function (list) {
      var open = list.items.filter(function (o) { return !o.picked_up_at && o.status !== "cancelled"; });
      ui.replace(node, ui.table([
        { title: "#", render: function (o) { return "#" + o.id; } },
        { title: S.patient, render: function (o) { return o.patient_name; } },
        { title: S.drugs, render: function (o) { return o.lines.map(function (l) { return ui.text(l.drug_name) + " " + l.strength + " × " + l.quantity; }).join("；"); } },
        { title: S.status, render: function (o) { return S["order_" + o.status] || o.status; } },
        { title: "", render: function (o) {
          if (o.status === "dispatched") return el("button", { type: "button", text: S.confirm_delivery, onclick: function () {
            gpassist.call("POST", "/api/v1/pharmacy/orders/" + o.id + "/delivery").then(function () { showOrders(node); }); } });
          if (o.status === "delivered") return el("button", { type: "button", text: S.confirm_pick_up, onclick: function (event) {
            event.currentTarget.disabled = true;  // one press; a second one would change nothing anyway
            gpassist.call("POST", "/api/v1/pharmacy/orders/" + o.id + "/pick-up").then(function () {
              if (gpassist.showSuccess) gpassist.showSuccess(S.picked_up + " #" + o.id);
              showOrders(node);
            }, function () { showOrders(node); }); } });
          return "";
        } },
      ], open));
    });
  }

  // Consultations still open, and closed ones whose opinion the doctor has not opened yet
  // (marked 新意见; the link opens the opinion on the patient's visit page, which reads it).
  function showConsultations(node) {
    ui.loading(node);
    gpassist.call("GET", "/api/v1/consultations?limit=50").then(function (list) {
      var shown = list.items.filter(function (c) {
        return c.opinion_unread || ["requested", "accepted", "active"].indexOf(c.state) >= 0;
      });
      shown.sort(function (a, b) { return Number(b.opinion_unread) - Number(a.opinion_unread); });
      ui.replace(node, ui.table([
        { title: "#", render: function (c) { return el("a", { href: "/app/consult/" + c.id, text: "#" + c.id }); } },
        { title: S.reason, render: function (c) {
          if (!c.opinion_unread) return c.reason;
          return el("a", { href: "/app/patients/" + c.patient_id + "#consultation-" + c.id }, [
            el("span", { class: "flag bad unread", text: S.opinion_new }), c.reason]);
        } },
        { title: S.department, render: function (c) { return ui.text(c.department_name); } },
        { title: S.status, render: function (c) { return S["state_" + c.state] || c.state; } },
      ], shown));
    });
  }

  // Managed patients without this year's health check (年度健康体检), never-checked first.
  function showAnnualChecks(node) {
    ui.loading(node);
    gpassist.call("GET", "/api/v1/follow-ups/annual-checks-due").then(function (list) {
      ui.replace(node, ui.table([
        { title: S.patient, render: function (r) { return patientLink(r.patient_id, r.patient_name); } },
        { title: S.age, render: function (r) { return r.age; } },
        { title: S.program, render: function (r) { return r.programs.map(programName).join("、"); } },
        { title: S.last_check, render: function (r) { return r.last_check_date || S.never; } },
      ], list.items));
    });
  }

  document.querySelectorAll("[data-worklist]").forEach(showWorklist);
  showAnnualChecks(document.getElementById("annual-checks"));
  showOrders(document.getElementById("orders"));
  showConsultations(document.getElementById("consults"));
  showReferrals(document.getElementById("referrals"));
})();
