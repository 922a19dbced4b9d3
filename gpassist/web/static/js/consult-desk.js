// The specialist's desk: availability, the department's live queue, accepting, my consultations.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var socket = io("/consult", { transports: ["websocket"] });
  var status = document.getElementById("connection");
  var toggle = document.getElementById("available");
  var desk = document.getElementById("desk");
  var news = document.getElementById("desk-news");
  var audio = null;  // made on the first tap: browsers let a page sound only after a gesture

  function unlockSound() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
  }

  // Two short tones (a generated sound: no file to download on a county network).
  function ring() {
    desk.dataset.rings = String(Number(desk.dataset.rings || 0) + 1);
    if (!audio) return;
    [0, 0.25].forEach(function (offset, i) {
      var osc = audio.createOscillator(), gain = audio.createGain(), t = audio.currentTime + offset;
      osc.frequency.value = i ? 660 : 880;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(t); osc.stop(t + 0.22);
    });
  }

  // A new request (or one escalated to the whole department): ring, and say so on the desk.
  function announce(payload) {
    if (["requested", "escalated"].indexOf(payload.change) < 0) return;
    var c = payload.consultation;
    news.textContent = S.new_request + "：" + urgencyText(c.urgency) + " · " + c.reason;
    news.hidden = false;
    document.title = "(" + S.new_request + ") " + document.title.replace(/^\([^)]*\) /, "");
    ring();
  }
  document.addEventListener("click", unlockSound);
  document.addEventListener("keydown", unlockSound);

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
      if (!ack.ok) { gpassist.showProblem(ack.error); return; }
      showQueue(ack.items);
      if (ack.available !== undefined) showAvailability(ack.available);
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
  socket.on("queue_changed", function (payload) { announce(payload || {}); refreshQueue(); refreshMine(); });

  // The switch is kept on the server per specialist: after a reload or a new login it shows
  // what was last chosen.
  function showAvailability(available) {
    toggle.checked = available;
    document.getElementById("availability-note").textContent = available ? S.available_on : S.available_off;
  }

  gpassist.call("GET", "/api/v1/consultations/availability").then(function (a) { showAvailability(a.available); });
  toggle.addEventListener("change", function () {
    unlockSound();
    socket.emit("availability", { available: toggle.checked }, function (ack) {
      if (!ack.ok) { toggle.checked = !toggle.checked; gpassist.showProblem(ack.error); return; }
      showAvailability(ack.available);
      if (ack.items) showQueue(ack.items);
    });
  });
})();
