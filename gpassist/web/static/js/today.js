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
      ui.replace(node, ui.table([
        { title: S.patient, render: function (r) { return patientLink(r.patient_id, r.patient_name); } },
        { title: S.age, render: function (r) { return r.age; } },
        { title: S.village, render: function (r) { return r.village; } },
        { title: S.program, render: function (r) { return programName(r.program); } },
        { title: S.next_due, render: function (r) { return r.next_due; } },
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

  document.querySelectorAll("[data-worklist]").forEach(showWorklist);
  showReferrals(document.getElementById("referrals"));
})();
