// Small DOM helpers shared by the pages. No framework: the pages must load fast on old tablets.
(function () {
  "use strict";
  var stringsNode = document.getElementById("strings");
  var S = stringsNode ? JSON.parse(stringsNode.textContent) : {};
  var lang = document.documentElement.lang === "en" ? "en" : "zh";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  // A {zh, en} pair in the page's language.
  function text(pair) {
    if (pair === null || pair === undefined) return "";
    if (typeof pair === "string") return pair;
    return pair[lang] || pair.zh || pair.en || "";
  }

  // A cell that holds only a reading, a date, an amount or a count ("150/90", "2026-10-18",
  // "12.50", "#12", "73.5%"): the stylesheet keeps it on one line (class "num").
  var NUMBER = /^[#+\u2212-]?\d[\d\s.,:\/%\-]*$/;
  function isNumber(value) {
    return (typeof value === "number") || (typeof value === "string" && NUMBER.test(value.trim()));
  }

  function table(columns, rows, emptyText) {
    if (!rows.length) return el("p", { class: "empty", text: emptyText || S.none });
    var head = el("tr", {}, columns.map(function (c) { return el("th", { scope: "col", text: c.title }); }));
    var body = rows.map(function (row) {
      return el("tr", {}, columns.map(function (c) {
        var value = c.render(row);
        return el("td", { class: isNumber(value) ? "num" : null }, [value === null || value === undefined ? "" : value]);
      }));
    });
    return el("table", {}, [el("thead", {}, [head]), el("tbody", {}, body)]);
  }

  function replace(node, child) {
    while (node.firstChild) node.removeChild(node.firstChild);
    if (child) node.appendChild(child);
  }

  function loading(node) { replace(node, el("p", { class: "muted", text: S.loading })); }

  function fen(amount) { return (amount / 100).toFixed(2); }

  window.ui = { S: S, lang: lang, el: el, text: text, table: table, replace: replace,
    loading: loading, fen: fen };
})();
