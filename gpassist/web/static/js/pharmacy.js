// The central pharmacy's dispatch board: orders by town (urgent first, free delivery marked),
// pick / cancel, delivery runs with their printed note; stock to reorder and lots near expiry.
// New orders and status changes arrive over Socket.IO (/pharmacy) and redraw the board.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var board = document.getElementById("board");

  // A drug line as people read it: name, strength, how many (and a substitute or short fill).
  function lineText(l) {
    var out = ui.text(l.drug_name) + " " + l.strength + " × " + l.quantity;
    if (l.substitute_for) out += "（" + S.substitute_for + " " + ui.text(l.substitute_for) + "）";
    if (l.quantity < l.ordered_quantity) out += "（" + S.short_of + " " + l.ordered_quantity + "）";
    return out;
  }

  function lines(order) { return order.lines.map(lineText).join("；"); }

  // The clinic by name, its town beside it, the code small (for whoever must look it up).
  function clinicCell(o) {
    return el("span", {}, [ui.text(o.clinic_name), " ", el("small", { class: "muted", text: o.clinic })]);
  }

  function success(message) {
    if (gpassist.showSuccess) gpassist.showSuccess(message);
    else { news.textContent = message; news.hidden = false; }
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
      { title: S.clinic, render: clinicCell },
      { title: S.patient, render: function (o) { return o.patient_name; } },
      { title: S.drugs, render: lines },
      { title: "", render: function (o) {
        return el("span", { class: "actions" }, [
          el("button", { type: "button", text: S.pick, "aria-label": S.pick + " #" + o.id,
            onclick: function () { act("POST", "/api/v1/pharmacy/orders/" + o.id + "/pick", {}); } }),
          el("button", { type: "button", text: S.fill_partly, "aria-label": S.fill_partly + " #" + o.id,
            onclick: function () { openFill(o); } }),
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
          success(S.run_created + " #" + run.id);
          load();
          loadRuns();
        });
      } });
    return el("section", { class: "card", "aria-label": ui.text(town.town_name) }, [
      el("h2", {}, [ui.text(town.town_name) + " ",
        el("small", { class: "muted", text: S.order_pending + " " + town.pending.length + " · " + S.order_picked + " " + town.picked.length +
          (town.free_delivery_count ? " · " + S.free_delivery + " " + town.free_delivery_count : "") })]),
      pendingTable(town.pending),
      town.picked.length ? el("p", { class: "muted small", text: S.order_picked + "：" + town.picked.map(function (o) {
        return "#" + o.id + " " + ui.text(o.clinic_name); }).join("、") }) : null,
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

  // --- short fill or substitute: one dialog per order, a row per line -----------------------
  var dialog = document.getElementById("fill-dialog");

  function fillRow(line) {
    var quantity = el("input", { type: "number", min: "0", max: String(line.quantity), step: "1", inputmode: "numeric",
      value: String(Math.min(line.quantity, line.available)), "aria-label": S.quantity + " " + ui.text(line.drug_name), class: "qty" });
    var choice = el("select", { "aria-label": S.substitute + " " + ui.text(line.drug_name) },
      [el("option", { value: "", text: S.as_ordered + "（" + S.available + " " + line.available + "）" })].concat(
        line.substitutes.map(function (d) {
          return el("option", { value: d.drug, text: ui.text(d.drug_name) + " " + d.strength + "（" + S.available + " " + d.available + "）" });
        })));
    choice.addEventListener("change", function () {
      var picked = line.substitutes.filter(function (d) { return d.drug === choice.value; })[0];
      var stock = picked ? picked.available : line.available;
      quantity.value = String(Math.min(line.quantity, stock));
    });
    var row = el("tr", { "data-line": line.line_no }, [
      el("td", {}, [ui.text(line.drug_name) + " " + line.strength]),
      el("td", { text: String(line.quantity) }),
      el("td", {}, [choice]),
      el("td", {}, [quantity]),
    ]);
    row.fill = function () {
      var q = Number(quantity.value), out = { line_no: line.line_no };
      if (choice.value) out.substitute = choice.value;
      if (q !== line.quantity) out.quantity = q;
      if (!choice.value && q < line.quantity) out.reason = "out_of_stock";
      return Object.keys(out).length > 1 ? out : null;
    };
    return row;
  }

  function openFill(order) {
    gpassist.call("GET", "/api/v1/pharmacy/orders/" + order.id + "/fill-options").then(function (options) {
      var rows = options.lines.map(fillRow);
      var body = document.getElementById("fill-body");
      document.getElementById("fill-title").textContent = S.fill_partly + " #" + order.id + " · " + ui.text(order.clinic_name) + " · " + order.patient_name;
      ui.replace(body, el("table", {}, [
        el("thead", {}, [el("tr", {}, [S.drug, S.ordered, S.substitute, S.send_quantity].map(function (t) { return el("th", { scope: "col", text: t }); }))]),
        el("tbody", {}, rows),
      ]));
      dialog.onsubmit = function (event) {
        event.preventDefault();
        if (event.submitter && event.submitter.value === "cancel") { dialog.close(); return; }
        var fills = rows.map(function (r) { return r.fill(); }).filter(Boolean);
        gpassist.call("POST", "/api/v1/pharmacy/orders/" + order.id + "/pick", { lines: fills }).then(function () {
          dialog.close();
          success(S.order_picked + " #" + order.id);
          load();
        });
      };
      dialog.showModal();
    });
  }

  // --- past delivery runs, each note printable again ----------------------------------------
  function loadRuns() {
    gpassist.call("GET", "/api/v1/pharmacy/delivery-runs?limit=20").then(function (r) {
      ui.replace(document.getElementById("runs"), ui.table([
        { title: "#", render: function (run) { return "#" + run.id; } },
        { title: S.town, render: function (run) { return ui.text(run.town_name); } },
        { title: S.sent_at, render: function (run) { return run.created_at.slice(0, 16).replace("T", " "); } },
        { title: S.clinic, render: function (run) { return run.clinic_names.map(ui.text).join("、") + "（" + run.order_count + "）"; } },
        { title: "", render: function (run) {
          return el("a", { class: "button", href: run.note_url, target: "_blank", rel: "noopener", text: S.reprint,
            "aria-label": S.reprint + " #" + run.id });
        } },
      ], r.items, S.none));
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
  loadRuns();
})();
