// The central pharmacy's dispatch board: orders by town (urgent first, free delivery marked),
// pick / cancel, delivery runs with their printed note; stock to reorder and lots near expiry.
// New orders and status changes arrive over Socket.IO (/pharmacy) and redraw the board.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var board = document.getElementById("board");

  function lines(order) {
    return order.lines.map(function (l) { return ui.text(l.drug_name) + " × " + l.quantity; }).join("；");
  }

  function flags(order) {
    var out = el("span", {});
    if (order.urgent) out.appendChild(el("span", { class: "flag bad", text: S.urgency_urgent }));
    if (order.free_delivery) out.appendChild(el("span", { class: "flag", text: S.free_delivery }));
    return out;
  }

  function act(method, url, body) {
    return gpassist.call(method, url, body).then(load);
  }

  function pendingTable(orders) {
    return ui.table([
      { title: "#", render: function (o) { return "#" + o.id; } },
      { title: "", render: flags },
      { title: S.clinic, render: function (o) { return o.clinic; } },
      { title: S.patient, render: function (o) { return o.patient_name; } },
      { title: S.drugs, render: lines },
      { title: "", render: function (o) {
        return el("span", { class: "actions" }, [
          el("button", { type: "button", text: S.pick, "aria-label": S.pick + " #" + o.id,
            onclick: function () { act("POST", "/api/v1/pharmacy/orders/" + o.id + "/pick", {}); } }),
          el("button", { type: "button", text: S.cancel, "aria-label": S.cancel + " #" + o.id,
            onclick: function () {
              var reason = window.prompt(S.cancel_reason);
              if (reason) act("POST", "/api/v1/pharmacy/orders/" + o.id + "/cancel", { reason: reason });
            } }),
        ]);
      } },
    ], orders, S.none);
  }

  function townCard(town) {
    var runButton = el("button", { type: "button", class: "primary", text: S.create_run + "（" + town.picked.length + "）",
      disabled: town.picked.length === 0, onclick: function () {
        gpassist.call("POST", "/api/v1/pharmacy/delivery-runs", { town: town.town }).then(function (run) {
          window.open("/api/v1/pharmacy/delivery-runs/" + run.id + "/note.html", "_blank");
          load();
        });
      } });
    return el("section", { class: "card", "aria-label": ui.text(town.town_name) }, [
      el("h2", {}, [ui.text(town.town_name) + " ",
        el("small", { class: "muted", text: S.order_pending + " " + town.pending.length + " · " + S.order_picked + " " + town.picked.length +
          (town.free_delivery_count ? " · " + S.free_delivery + " " + town.free_delivery_count : "") })]),
      pendingTable(town.pending),
      town.picked.length ? el("p", { class: "muted small", text: S.order_picked + "：" + town.picked.map(function (o) { return "#" + o.id; }).join("、") }) : null,
      runButton,
    ]);
  }

  function load() {
    return gpassist.call("GET", "/api/v1/pharmacy/board").then(function (data) {
      ui.replace(board, null);
      if (!data.towns.length) board.appendChild(el("p", { class: "card empty", text: S.board_empty }));
      data.towns.forEach(function (town) { board.appendChild(townCard(town)); });
    });
  }

  function loadStock() {
    gpassist.call("GET", "/api/v1/pharmacy/replenishment?reorder_only=true").then(function (r) {
      ui.replace(document.getElementById("reorder"), ui.table([
        { title: S.drug, render: function (row) { return ui.text(row.drug_name); } },
        { title: S.available, render: function (row) { return row.available; } },
        { title: S.daily_use, render: function (row) { return row.average_daily_use.toFixed(1); } },
        { title: S.days_left, render: function (row) { return row.days_left === null ? "—" : row.days_left.toFixed(0); } },
      ], r.items, S.none));
    });
    gpassist.call("GET", "/api/v1/pharmacy/near-expiry?days=90").then(function (r) {
      ui.replace(document.getElementById("expiry"), ui.table([
        { title: S.drug, render: function (lot) { return ui.text(lot.drug_name); } },
        { title: S.lot, render: function (lot) { return lot.lot_no; } },
        { title: S.expires, render: function (lot) { return lot.expires_on; } },
        { title: S.quantity, render: function (lot) { return lot.on_hand; } },
      ], r.items, S.none));
    });
  }

  var socket = io("/pharmacy", { transports: ["websocket"] });
  var status = document.getElementById("connection");
  var news = document.getElementById("news");
  socket.on("connect", function () { status.textContent = S.connected; load(); });
  socket.on("disconnect", function () { status.textContent = S.reconnecting; });
  socket.on("connect_error", function () { status.textContent = S.reconnecting; });
  socket.on("order.created", function (order) {
    news.textContent = S.new_order + " #" + order.id;
    news.hidden = false;
    load();
  });
  socket.on("order.status", function () { load(); });

  load();  // the board shows even before (or without) the live connection
  loadStock();
})();
