// Follow-up in the visit (issue 14): the national standard's follow-up form (随访服务记录表) for a
// patient in a chronic program. The readings mirror the visit's vitals both ways, the usual answers
// come from the last follow-up, and saving saves the visit first (visitPage.ensureSaved) and then
// records the follow-up linked to it: a routine visit needs only the blood pressure typed.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var section = document.getElementById("followup");
  if (!section) return;
  var form = document.getElementById("fu-form");
  var result = document.getElementById("fu-result");
  var saveButton = document.getElementById("fu-save");
  var patientId = document.getElementById("patient").dataset.patientId;
  var base = "/api/v1/patients/" + patientId;
  var state = { programs: [], names: {}, recorded: false, prefilled: false };

  // The county's calendar day, whatever the tablet's time zone.
  function shanghaiToday() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
  }

  function byId(id) { return document.getElementById(id); }

  function has(program) { return state.programs.indexOf(program) >= 0; }

  // --- readings: the visit's vitals and the form's, kept equal as the doctor types -------------
  function mirrorVitals() {
    form.querySelectorAll("[data-mirror]").forEach(function (mine) {
      var theirs = byId(mine.dataset.mirror);
      if (!theirs) return;
      if (theirs.value !== "" && mine.value === "") mine.value = theirs.value;
      mine.addEventListener("input", function () {
        theirs.value = mine.value;
        // Other sections (drafts, the visit's own checks) hear the change as if typed there.
        theirs.dispatchEvent(new Event("input", { bubbles: true }));
        if (mine.id === "fu-glu") markFasting();
        if (mine.id === "fu-weight") showBmi();
      });
      theirs.addEventListener("input", function (event) {
        if (event.target !== theirs || mine.value === theirs.value) return;
        mine.value = theirs.value;
        if (mine.id === "fu-weight") showBmi();
      });
    });
  }

  // A follow-up's glucose is the fasting one: say so on the visit too.
  function markFasting() {
    var fasting = byId("e-fasting");
    if (fasting && fasting.value === "" && byId("fu-glu").value !== "") fasting.value = "true";
  }

  function number(id) {
    var raw = byId(id).value.trim();
    return raw === "" ? null : Number(raw);
  }

  function showBmi() {
    var weight = number("fu-weight"), height = number("fu-height");
    byId("fu-bmi").textContent = weight && height ? (weight / Math.pow(height / 100, 2)).toFixed(1) : "—";
  }

  // --- the usual answers, from the last follow-up ----------------------------------------------
  var REMEMBERED = {
    "fu-height": "height_cm", "fu-smoking": "smoking_per_day", "fu-drinking": "drinking_liang_per_day",
    "fu-ex-times": "exercise_times_per_week", "fu-ex-minutes": "exercise_minutes", "fu-staple": "staple_food_g_per_day",
  };
  var CHOICES = ["salt", "psychological", "compliance", "adherence", "hypoglycaemia", "dorsalis_pedis"];

  function prefill(last) {
    var record = last.record || {};
    Object.keys(REMEMBERED).forEach(function (id) {
      var value = record[REMEMBERED[id]];
      if (value !== undefined && value !== null && byId(id).value === "") byId(id).value = value;
    });
    CHOICES.forEach(function (name) {
      if (!record[name]) return;
      var option = form.querySelector('input[name="' + name + '"][value="' + record[name] + '"]');
      if (option && !form.querySelector('input[name="' + name + '"]:checked')) option.checked = true;
    });
    showBmi();
  }

  // --- showing the form for the patient's programs ---------------------------------------------
  function dueText(enrolment, today) {
    var name = ui.text(enrolment.program_name);
    if (enrolment.next_due === today) return name + " · " + S.fu_due_today;
    if (enrolment.next_due < today) {
      var days = Math.round((Date.parse(today) - Date.parse(enrolment.next_due)) / 86400000);
      return name + " · " + S.fu_overdue.replace("%s", days);
    }
    return name + " · " + S.fu_next + " " + enrolment.next_due;
  }

  function showPrograms(active) {
    var today = shanghaiToday();
    state.programs = active.map(function (e) { return e.program; });
    active.forEach(function (e) { state.names[e.program] = e.program_name; });
    section.hidden = active.length === 0;
    if (!active.length) return;
    byId("fu-due").textContent = active.map(function (e) { return dueText(e, today); }).join("；");
    section.querySelectorAll("[data-program]").forEach(function (node) {
      node.hidden = !has(node.dataset.program);
    });
    if (state.prefilled) return;  // the panel refreshed after saving: keep what is shown
    state.prefilled = true;
    loadAnnualChecks();
    mirrorVitals();
    suggestComplaint(active);
    gpassist.call("GET", base + "/follow-ups").then(function (list) {
      var todays = list.items.filter(function (f) { return f.visit_date === today; });
      if (todays.length) { showRecorded(todays); return; }
      if (list.items.length) prefill(list.items[0]);
    });
  }

  // A follow-up visit's complaint, so that the doctor need not type one.
  function suggestComplaint(active) {
    var complaint = byId("e-complaint");
    if (!complaint || complaint.value.trim() !== "") return;
    // Set quietly (no input event): a suggestion is not the doctor's unsaved typing.
    complaint.value = active.map(function (e) { return ui.text(e.program_name); }).join("、") + S.fu_complaint;
  }

  // --- saving ----------------------------------------------------------------------------------
  function checkedValues(name) {
    var seen = {};
    form.querySelectorAll('input[name="' + name + '"]:checked').forEach(function (box) {
      var scope = box.closest("[data-program]");
      if (!(scope && scope.hidden)) seen[box.value] = true;
    });
    return Object.keys(seen);
  }

  function chosen(name) {
    var box = form.querySelector('input[name="' + name + '"]:checked');
    var scope = box && box.closest("[data-program]");
    return box && !(scope && scope.hidden) ? box.value : null;
  }

  function recordBody() {
    var record = {
      record_symptoms: checkedValues("record_symptoms"),
      weight_kg: number("fu-weight"), height_cm: number("fu-height"),
      smoking_per_day: number("fu-smoking"), drinking_liang_per_day: number("fu-drinking"),
      exercise_times_per_week: number("fu-ex-times"), exercise_minutes: number("fu-ex-minutes"),
    };
    if (has("diabetes")) {
      record.staple_food_g_per_day = number("fu-staple");
      record.hba1c_percent = number("fu-hba1c");
    }
    CHOICES.forEach(function (name) { record[name] = chosen(name); });
    var detail = byId("fu-adverse-detail").value.trim();
    if (byId("fu-adverse").checked && detail) record.adverse_reaction_detail = detail;
    Object.keys(record).forEach(function (key) { if (record[key] === null) delete record[key]; });
    return record;
  }

  function followUpBody(encounter) {
    var body = {
      encounter_id: encounter.id,
      adverse_reaction: byId("fu-adverse").checked,
      new_complication: byId("fu-complication").checked,
      symptoms: checkedValues("symptoms"),
      record: recordBody(),
    };
    [["sbp", "fu-sbp"], ["dbp", "fu-dbp"], ["heart_rate", "fu-hr"]].forEach(function (pair) {
      var value = number(pair[1]);
      if (value !== null) body[pair[0]] = value;
    });
    if (has("diabetes") && number("fu-glu") !== null) body.fasting_glucose = number("fu-glu");
    var medication = byId("fu-medication").value.trim();
    if (medication) body.medication_changes = medication;
    return body;
  }

  // What the rules need, said before anything is saved.
  function missingReading() {
    if (has("hypertension") && (number("fu-sbp") === null || number("fu-dbp") === null)) {
      return { field: number("fu-sbp") === null ? "fu-sbp" : "fu-dbp", title: S.fu_need_bp };
    }
    if (has("diabetes") && number("fu-glu") === null) return { field: "fu-glu", title: S.fu_need_glucose };
    return null;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (state.recorded) return;
    var missing = missingReading();
    if (missing) { gpassist.showProblem({ title: missing.title }); byId(missing.field).focus(); return; }
    saveButton.disabled = true;
    saveButton.textContent = S.saving;
    window.visitPage.ensureSaved().then(function (encounter) {
      return gpassist.call("POST", base + "/follow-ups", followUpBody(encounter));
    }).then(function (recorded) {
      showRecorded(recorded.follow_ups);
      document.dispatchEvent(new CustomEvent("followup-recorded", { detail: recorded.follow_ups }));
    }, function () {
      saveButton.disabled = false;
      saveButton.textContent = S.fu_save;
    });
  });

  function showRecorded(followUps) {
    state.recorded = true;
    form.hidden = true;
    ui.replace(result, el("div", {}, followUps.map(function (f) {
      var warn = f.urgent_referral ? S.fu_urgent : f.referral ? S.fu_referral : "";
      return el("div", { class: "fu-outcome " + f.classification }, [
        el("p", {}, [
          el("strong", { text: ui.text(state.names[f.program] || f.program) + "：" }),
          el("span", { class: "fu-class", text: ui.text(f.classification_name) }),
          " · " + S.fu_next + " ",
          el("strong", { class: "fu-next", text: f.next_due }),
        ]),
        warn ? el("p", { class: "warn", text: warn + "：" + f.reason_texts.map(ui.text).join("；") }) : null,
        el("a", { href: "/api/v1/follow-ups/" + f.id + "/record.html", target: "_blank", class: "button",
          text: S.fu_print }),
      ]);
    })));
  }

  // --- the yearly health check (年度健康体检) ----------------------------------------------------
  // The standard asks one a year of every managed patient; the today page lists those without
  // this year's. Here the doctor sees whether it is done and, if not, records it with this visit.
  var annual = { status: byId("ac-status"), open: byId("ac-open"), form: byId("ac-form"),
    save: byId("ac-save"), checks: [], done: false, copied: {} };
  // Height and weight are often just typed into the follow-up form (or the visit's vitals).
  var FROM_FOLLOW_UP = { "ac-height": "fu-height", "ac-weight": "fu-weight" };

  function thisYearsCheck(checks) {
    var year = shanghaiToday().slice(0, 4);
    return checks.filter(function (c) { return String(c.year) === year; })[0];
  }

  function showAnnualStatus(checks) {
    annual.checks = checks;
    var done = thisYearsCheck(checks);
    annual.done = Boolean(done);
    annual.status.className = done ? "ok" : "warn";
    annual.status.textContent = done ? S.ac_done.replace("%s", done.check_date)
      : checks.length ? S.ac_due_last.replace("%s", checks[0].check_date) : S.ac_due_never;
    if (!annual.open) return;  // an admin reads; only the clinic's doctor records
    annual.open.hidden = annual.done;
    if (annual.done) showAnnualForm(false);
  }

  function loadAnnualChecks() {
    annual.status.textContent = S.loading;
    return gpassist.call("GET", base + "/annual-checks").then(function (list) {
      showAnnualStatus(list.items);
    });
  }

  // Copies the follow-up form's height and weight into the check's fields the doctor has not
  // typed in themselves (empty, or still what was copied last).
  function copyFromFollowUp() {
    Object.keys(FROM_FOLLOW_UP).forEach(function (id) {
      var mine = byId(id), theirs = byId(FROM_FOLLOW_UP[id]).value;
      if (mine.value !== "" && mine.value !== annual.copied[id]) return;
      mine.value = theirs;
      annual.copied[id] = theirs;
    });
  }

  function showAnnualForm(open) {
    annual.form.hidden = !open;
    annual.open.setAttribute("aria-expanded", String(open));
    if (!open) return;
    copyFromFollowUp();
    var empty = ["ac-height", "ac-weight", "ac-waist", "ac-findings"].filter(function (id) {
      return byId(id).value.trim() === "";
    });
    byId(empty[0] || "ac-height").focus();
  }

  function annualBody(encounter) {
    var body = { encounter_id: encounter.id };
    [["height_cm", "ac-height"], ["weight_kg", "ac-weight"], ["waist_cm", "ac-waist"]].forEach(function (pair) {
      var value = number(pair[1]);
      if (value !== null) body[pair[0]] = value;
    });
    var findings = byId("ac-findings").value.trim();
    if (findings) body.findings = findings;
    return body;
  }

  function saveAnnualCheck(event) {
    event.preventDefault();
    if (annual.done || annual.save.disabled) return;
    annual.save.disabled = true;
    annual.save.textContent = S.saving;
    window.visitPage.ensureSaved().then(function (encounter) {
      return gpassist.call("POST", base + "/annual-checks", annualBody(encounter));
    }).then(function (check) {
      showAnnualStatus([check].concat(annual.checks));
      annual.status.focus();  // the form (and the focused button) has gone
      gpassist.showSuccess(S.ac_recorded.replace("%s", check.check_date), annual.status);
    }, function (error) {
      annual.save.disabled = false;
      annual.save.textContent = S.ac_save;
      // Recorded meanwhile (another tab, another doctor): the refusal says so; show it done.
      if (error && error.status === 409) loadAnnualChecks();
    });
  }

  // Something the doctor typed for a check not saved yet: leaving the page asks first.
  function annualTyped() {
    if (annual.done || annual.form.hidden) return false;
    return ["ac-height", "ac-weight", "ac-waist", "ac-findings"].some(function (id) {
      var value = byId(id).value.trim();
      return value !== "" && value !== annual.copied[id];
    });
  }

  if (annual.form) {
    window.visitPage.addUnsavedCheck(annualTyped);
    annual.status.setAttribute("tabindex", "-1");
    annual.open.addEventListener("click", function () { showAnnualForm(annual.form.hidden); });
    annual.form.addEventListener("submit", saveAnnualCheck);
    document.addEventListener("input", function (event) {
      var id = event.target && event.target.id;
      if (!annual.form.hidden && (id === "fu-height" || id === "fu-weight" || id === "e-weight")) copyFromFollowUp();
    });
  }

  byId("fu-height").addEventListener("input", showBmi);
  byId("fu-adverse").addEventListener("change", function () {
    byId("fu-adverse-detail").hidden = !byId("fu-adverse").checked;
  });
  // A visit saved or resumed (after a reload) brings its vitals: fill what the form lacks.
  var VITALS = { "fu-sbp": "sbp", "fu-dbp": "dbp", "fu-hr": "heart_rate", "fu-weight": "weight_kg",
    "fu-glu": "glucose_mmol_l" };
  document.addEventListener("encounter-saved", function (event) {
    var vitals = (event.detail && event.detail.vitals) || {};
    Object.keys(VITALS).forEach(function (id) {
      if (id === "fu-glu" && vitals.glucose_fasting !== true) return;  // only a fasting glucose
      var value = vitals[VITALS[id]];
      if (value !== undefined && value !== null && byId(id).value === "") byId(id).value = value;
    });
    showBmi();
  });
  document.addEventListener("programs-loaded", function (event) { showPrograms(event.detail || []); });
})();
