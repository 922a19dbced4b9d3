// Administrators: the users (create, unlock, reset a password) and the county's facilities.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;

  function loadUsers() {
    var node = document.getElementById("users");
    ui.loading(node);
    gpassist.call("GET", "/api/v1/users?limit=500").then(function (list) {
      ui.replace(node, ui.table([
        { title: S.username, render: function (u) { return u.username; } },
        { title: S.name, render: function (u) { return u.display_name; } },
        { title: S.role, render: function (u) { return ui.text(u.role_name); } },
        { title: S.where, render: function (u) { return u.clinic_code || u.department || ""; } },
        { title: "", render: function (u) {
          return el("span", { class: "actions" }, [
            el("button", { type: "button", text: S.unlock, "aria-label": S.unlock + " " + u.username, onclick: function () {
              gpassist.call("POST", "/api/v1/users/" + u.id + "/unlock").then(function () { gpassist.showSuccess(S.done); });
            } }),
            el("button", { type: "button", text: S.reset_password, "aria-label": S.reset_password + " " + u.username, onclick: function () {
              var password = window.prompt(S.new_password);
              if (password) gpassist.call("POST", "/api/v1/users/" + u.id + "/password", { new_password: password })
                .then(function () { gpassist.showSuccess(S.done); });
            } }),
          ]);
        } },
      ], list.items));
    });
  }

  function loadFacilities() {
    gpassist.call("GET", "/api/v1/facilities").then(function (list) {
      ui.replace(document.getElementById("facilities"), ui.table([
        { title: S.code, render: function (f) { return f.code; } },
        { title: S.name, render: function (f) { return ui.text(f.name); } },
        { title: S.town, render: function (f) { return f.town ? ui.text(f.town.name) : ""; } },
        { title: S.departments, render: function (f) { return f.departments.map(function (d) { return ui.text(d.name); }).join("、"); } },
      ], list.items));
    });
  }

  document.getElementById("new-user").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = new FormData(event.target), body = {};
    ["username", "display_name", "role", "password", "clinic_code", "department"].forEach(function (key) {
      var value = String(form.get(key) || "").trim();
      if (value) body[key] = value;
    });
    gpassist.call("POST", "/api/v1/users", body).then(function () { event.target.reset(); loadUsers(); });
  });

  loadUsers();
  loadFacilities();
})();
