// The specialist's desk: availability, the department's live queue, accepting, my consultations.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var socket = io("/consult", { transports: ["websocket"] });
  var status = document.getElementById("connection");
  var toggle = document.getElementById("available");

  function summaryText(c) {
    var s = c.summary || {}, who = s.patient || {};
    var person = [S["sex_" + who.sex] || "", who.age !== undefined ? who.age + S.years : ""]
      .filter(Boolean).join(" ");
    return [person, s.chief_complaint].filter(Boolean).join(" · ");
  }

  function urgencyText(u) { return S["urgency_" + u] || u; }

  function showQueue(items) {
    ui.replace(document.getElementById("queue"), ui.table([
      { title: S.urgency, render: function (c) { return el("span", { class: "flag " + (c.urgency === "routine" ? "" : "bad"), text: urgencyText(c.urgency) }); } },
      { title: S.reason, render: function (c) { return c.reason; } },
      { title: S.patient, render: summaryText },
      { title: S.requested_at, render: function (c) { return c.requested_at.slice(11, 16); } },
      { title: "", render: function (c) {
        return el("button", { type: "button", class: "primary-outline", text: S.accept, "aria-label": S.accept + " #" + c.id,
          onclick: function () { accept(c.id); } });
      } },
    ], items, S.queue_empty));
  }

  function accept(id) {
    socket.emit("accept", { consultation_id: id }, function (ack) {
      if (ack.ok) { window.location.href = "/app/consult/" + id; return; }
      gpassist.showProblem(ack.error.status === 409 ? { title: S.taken_by_other } : ack.error);
      refreshQueue();
    });
  }

  function refreshQueue() {
    socket.emit("queue", {}, function (ack) {
      if (ack.ok) showQueue(ack.items); else gpassist.showProblem(ack.error);
    });
  }

  function refreshMine() {
    gpassist.call("GET", "/api/v1/consultations?limit=50").then(function (list) {
      var mine = list.items.filter(function (c) { return String(c.specialist_id) === document.getElementById("desk").dataset.userId; });
      ui.replace(document.getElementById("mine"), ui.table([
        { title: "#", render: function (c) { return el("a", { href: "/app/consult/" + c.id, text: "#" + c.id }); } },
        { title: S.reason, render: function (c) { return c.reason; } },
        { title: S.status, render: function (c) { return S["state_" + c.state] || c.state; } },
      ], mine));
    });
  }

  socket.on("connect", function () {
    status.textContent = S.connected;
    refreshQueue();
    refreshMine();
  });
  socket.on("disconnect", function () { status.textContent = S.reconnecting; });
  socket.on("connect_error", function () { status.textContent = S.reconnecting; });
  socket.on("queue_changed", function () { refreshQueue(); refreshMine(); });

  gpassist.call("GET", "/api/v1/consultations/availability").then(function (a) { toggle.checked = a.available; });
  toggle.addEventListener("change", function () {
    socket.emit("availability", { available: toggle.checked }, function (ack) {
      if (!ack.ok) { toggle.checked = !toggle.checked; gpassist.showProblem(ack.error); return; }
      if (ack.items) showQueue(ack.items);
    });
  });
})();
