// Find a patient (name, pinyin initials, ID tail) or register a new one, then open the visit page.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var results = document.getElementById("results");

  function sexName(sex) { return S["sex_" + sex] || sex; }

  function search(q) {
    ui.loading(results);
    var url = "/api/v1/patients?limit=50" + (q ? "&q=" + encodeURIComponent(q) : "");
    gpassist.call("GET", url).then(function (list) {
      ui.replace(results, ui.table([
        { title: S.patient, render: function (p) { return el("a", { href: "/app/patients/" + p.id, text: p.name }); } },
        { title: S.age, render: function (p) { return p.age + S.years + " " + sexName(p.sex); } },
        { title: S.village, render: function (p) { return p.village; } },
      ], list.items, S.no_results));
    });
  }

  document.getElementById("search").addEventListener("submit", function (event) {
    event.preventDefault();
    search(document.getElementById("q").value.trim());
  });

  var register = document.getElementById("register");
  if (register) {
    register.addEventListener("submit", function (event) {
      event.preventDefault();
      var form = new FormData(register);
      var body = { name: form.get("name"), sex: form.get("sex"), birth_date: form.get("birth_date") };
      ["national_id", "phone"].forEach(function (key) { if (form.get(key)) body[key] = form.get(key); });
      var allergies = String(form.get("drug_allergies") || "").split(/[、,，;；]/).map(function (s) { return s.trim(); })
        .filter(Boolean);
      if (allergies.length) body.drug_allergies = allergies;
      gpassist.call("POST", "/api/v1/patients", body).then(function (patient) {
        window.location.href = "/app/patients/" + patient.id;
      });
    });
  }

  search("");
})();
