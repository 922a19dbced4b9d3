// The visit page's consultations panel: each consultation of this patient the doctor asked for,
// its state, and once closed the specialist's opinion. An unread opinion is marked "新意见" until
// the doctor opens it (the read state is kept on the server, per doctor). Opened from today's
// list (#consultation-<id>), that opinion opens at once.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var node = document.getElementById("consultations");
  var patientId = document.getElementById("patient").dataset.patientId;

  function when(iso) { return iso ? iso.slice(0, 16).replace("T", " ") : ""; }

  function markRead(c, flag) {
    if (!c.opinion_unread) return;
    c.opinion_unread = false;
    gpassist.call("POST", "/api/v1/consultations/" + c.id + "/opinion-read").then(function () {
      if (flag.parentNode) flag.parentNode.removeChild(flag);
    });
  }

  function opinionFacts(o) {
    return el("dl", { class: "facts" }, [
      el("dt", { text: S.assessment }), el("dd", { text: o.assessment }),
      el("dt", { text: S.advice }), el("dd", { text: o.advice }),
      el("dt", { text: S.rx_advice }), el("dd", { text: o.prescription_advice || S.none }),
      el("dt", { text: S.referral }), el("dd", { text: o.refer ? S.yes : S.no }),
    ]);
  }

  function item(c) {
    var head = [el("a", { href: "/app/consult/" + c.id, text: "#" + c.id }), " ",
      ui.text(c.department_name), " · ", S["state_" + c.state] || c.state, " · ", when(c.requested_at)];
    if (!c.opinion) {
      return el("li", { id: "consultation-" + c.id }, [el("p", {}, head), el("p", { class: "muted small", text: c.reason })]);
    }
    var flag = c.opinion_unread ? el("span", { class: "flag bad unread", text: S.opinion_new }) : null;
    var details = el("details", { class: "opinion" }, [
      el("summary", {}, [flag, S.opinion + "（" + when(c.ended_at) + "）"]),
      el("p", { class: "muted small", text: c.reason }),
      opinionFacts(c.opinion),
    ]);
    details.addEventListener("toggle", function () { if (details.open) markRead(c, flag); });
    if (location.hash === "#consultation-" + c.id) details.open = true;  // fires "toggle": read
    return el("li", { id: "consultation-" + c.id }, [el("p", {}, head), details]);
  }

  function load() {
    gpassist.call("GET", "/api/v1/consultations?limit=50&patient=" + patientId).then(function (list) {
      if (!list.items.length) { ui.replace(node, el("p", { class: "empty", text: S.none })); return; }
      ui.replace(node, el("ul", { class: "consultations" }, list.items.map(item)));
      var target = location.hash && document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView({ block: "center" });
    }, function () { ui.replace(node, el("p", { class: "empty", text: S.none })); });
  }

  document.addEventListener("consultation-requested", load);
  load();
})();
