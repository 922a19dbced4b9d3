// Administrators: the users (create, unlock, reset a password) and the county's facilities.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;

  var allUsers = [];

  function success(message) {
    if (gpassist.showSuccess) gpassist.showSuccess(message);
    else gpassist.showProblem({ title: message });
  }

  function when(iso) { return iso.slice(0, 16).replace("T", " "); }

  function lockCell(u) {
    if (!u.locked_until) return el("span", { class: "muted", text: S.not_locked });
    return el("span", { class: "flag bad", text: S.locked + "（" + S.locked_until + " " + when(u.locked_until).slice(11) + "）" });
  }

  function place(u) {
    if (u.clinic_name) return el("span", {}, [ui.text(u.clinic_name), " ", el("small", { class: "muted", text: u.clinic_code })]);
    return u.department || "";
  }

  function actions(u) {
    var buttons = [];
    if (u.locked_until) {
      buttons.push(el("button", { type: "button", text: S.unlock, "aria-label": S.unlock + " " + u.username, onclick: function () {
        gpassist.call("POST", "/api/v1/users/" + u.id + "/unlock").then(function () {
          u.locked_until = null;
          success(S.unlocked + "：" + u.display_name);
          showUsers();
        });
      } }));
    }
    buttons.push(el("button", { type: "button", text: S.reset_password, "aria-label": S.reset_password + " " + u.username, onclick: function () {
      var password = window.prompt(S.new_password);
      if (password) gpassist.call("POST", "/api/v1/users/" + u.id + "/password", { new_password: password })
        .then(function () { success(S.password_reset + "：" + u.display_name); });
    } }));
    return el("span", { class: "actions" }, buttons);
  }

  // Typed words filter at once, on what is loaded (a county has a few hundred users).
  function matches(u, words) {
    var hay = [u.username, u.display_name, u.clinic_code || "", u.department || "",
      u.clinic_name ? u.clinic_name.zh + " " + u.clinic_name.en : ""].join(" ").toLowerCase();
    return words.every(function (w) { return hay.indexOf(w) >= 0; });
  }

  function showUsers() {
    var words = document.getElementById("user-search").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var lockedOnly = document.getElementById("locked-only").checked;
    var shown = allUsers.filter(function (u) { return matches(u, words) && (!lockedOnly || u.locked_until); });
    document.getElementById("users-count").textContent = S.users_shown + " " + shown.length + " / " + allUsers.length;
    ui.replace(document.getElementById("users"), ui.table([
      { title: S.name, render: function (u) { return u.display_name; } },
      { title: S.username, render: function (u) { return u.username; } },
      { title: S.role, render: function (u) { return ui.text(u.role_name); } },
      { title: S.where, render: place },
      { title: S.login_state, render: lockCell },
      { title: "", render: actions },
    ], shown, S.no_users));
  }

  function loadUsers() {
    ui.loading(document.getElementById("users"));
    gpassist.call("GET", "/api/v1/users?limit=500").then(function (list) {
      allUsers = list.items;
      showUsers();
    });
  }

  document.getElementById("user-search").addEventListener("input", showUsers);
  document.getElementById("locked-only").addEventListener("change", showUsers);

  // A new user's place is chosen by name: village clinics grouped by town for a village doctor,
  // hospital departments for a specialist (the form shows the one the role needs).
  function fillPlaces(facilities) {
    var clinics = document.getElementById("u-clinic"), departments = document.getElementById("u-department");
    var towns = {};
    facilities.filter(function (f) { return f.kind === "village_clinic"; }).forEach(function (f) {
      var town = f.town ? ui.text(f.town.name) : "";
      if (!towns[town]) towns[town] = clinics.appendChild(el("optgroup", { label: town }));
      towns[town].appendChild(el("option", { value: f.code, text: ui.text(f.name) }));
    });
    facilities.forEach(function (f) {
      if (!f.departments.length) return;
      var group = departments.appendChild(el("optgroup", { label: ui.text(f.name) }));
      f.departments.forEach(function (d) {
        group.appendChild(el("option", { value: f.code + "/" + d.code, text: ui.text(d.name) + " · " + ui.text(f.name) }));
      });
    });
  }
  function showPlaceForRole() {
    var role = document.getElementById("u-role").value;
    document.querySelectorAll("#new-user [data-for-role]").forEach(function (box) {
      var mine = box.dataset.forRole === role;
      box.hidden = !mine;
      if (!mine) box.querySelector("select").value = "";
    });
  }
  document.getElementById("u-role").addEventListener("change", showPlaceForRole);
  showPlaceForRole();

  function loadFacilities() {
    gpassist.call("GET", "/api/v1/facilities").then(function (list) {
      fillPlaces(list.items);
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
    gpassist.call("POST", "/api/v1/users", body).then(function () { event.target.reset(); showPlaceForRole(); loadUsers(); });
  });

  loadUsers();
  loadFacilities();
})();
