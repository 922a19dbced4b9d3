// Calls /api/v1 with the page's session cookie and CSRF token, and shows the page's messages:
// every API problem in the page's language (the API gives each refusal in Chinese and English),
// and short success notes.
//
// Messages sit in the page flow, inside the card the doctor is working in (just under the button
// pressed), never over it: nothing is covered, whatever the window size. An error stays until it
// is closed (× or Esc) or replaced; a success note is styled apart (green, role=status) and goes
// by itself.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var zh = document.documentElement.lang !== "en";
  var SUCCESS_MS = 5000;
  var WORDS = zh ? { close: "关闭消息", fallback: "出错了，请重试。", request: "请求编号",
    offline: "离线：这是本机保存的页面，网络恢复后再刷新。", keptAt: "保存于 ", online: "已联网，刷新页面可看到最新内容。" }
    : { close: "Close message", fallback: "Something went wrong; please try again.", request: "Request id",
      offline: "Offline: this is the copy of the page kept on this device; reload once the network is back.",
      keptAt: "Kept at ", online: "Back online: reload the page to see the latest." };

  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text) n.textContent = text;
    return n;
  }

  // The message box of a kind ("problem": errors, "notice": success), made once per page.
  function box(kind) {
    var existing = document.getElementById(kind);
    if (existing && existing.querySelector(".message-text")) return existing;
    var el = existing || node("div");
    el.id = kind;
    el.className = "message " + (kind === "problem" ? "message-error" : "message-success");
    el.setAttribute("role", kind === "problem" ? "alert" : "status");
    el.setAttribute("aria-live", kind === "problem" ? "assertive" : "polite");
    while (el.firstChild) el.removeChild(el.firstChild);
    var close = node("button", "message-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", WORDS.close);
    close.addEventListener("click", function () { hide(el); });
    el.appendChild(node("div", "message-text"));
    el.appendChild(close);
    el.hidden = true;
    return el;
  }

  // Where a message goes: at the end of the card holding what the doctor just used (the button
  // pressed, the field typed in), else at the top of the page's main content.
  function place(el, near) {
    var anchor = near || document.activeElement;
    var card = anchor && anchor !== document.body && anchor.closest ? anchor.closest(".card, form, section") : null;
    if (card && card.contains(el) && el.nextSibling === null) return;
    if (card) card.appendChild(el);
    else {
      var main = document.getElementById("main") || document.body;
      main.insertBefore(el, main.firstChild);
    }
  }

  function show(el, lines, near) {
    var text = el.querySelector(".message-text");
    while (text.firstChild) text.removeChild(text.firstChild);
    lines.forEach(function (line) { if (line) text.appendChild(line); });
    place(el, near);
    el.hidden = false;
    if (el.scrollIntoView) el.scrollIntoView({ block: "nearest" });
  }

  function hide(el) {
    clearTimeout(el.timer);
    el.hidden = true;
  }

  // A problem: its title, its specific reason and each field's message, in the page's language.
  // The English detail is not shown on the Chinese page (it names routes and codes).
  function showProblem(problem, near) {
    problem = problem || {};
    var title = zh ? problem.title_zh || problem.title : problem.title;
    var detail = zh ? problem.detail_zh : problem.detail;
    var lines = [node("strong", null, title || WORDS.fallback)];
    var errors = problem.errors || [];
    if (detail && !(errors.length === 1 && (zh ? errors[0].message_zh : errors[0].message) === detail)) {
      lines.push(node("p", "small", detail));
    }
    if (errors.length) {
      var list = node("ul");
      errors.forEach(function (e) {
        list.appendChild(node("li", null, zh ? e.message_zh || e.message : e.message));
      });
      lines.push(list);
    }
    if (problem.request_id) lines.push(node("p", "small muted", WORDS.request + " " + problem.request_id));
    hide(box("notice"));
    show(box("problem"), lines, near);
  }

  // A success note ("已结算", "已保存"): green, announced politely, gone after a few seconds.
  function showSuccess(message, near) {
    var el = box("notice");
    hide(box("problem"));
    show(el, [node("span", null, message)], near);
    clearTimeout(el.timer);
    el.timer = setTimeout(function () { el.hidden = true; }, SUCCESS_MS);
  }

  function clearMessages() { hide(box("problem")); hide(box("notice")); }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var shown = ["problem", "notice"].map(function (id) { return document.getElementById(id); })
      .filter(function (el) { return el && !el.hidden; });
    shown.forEach(hide);
  });

  // --- offline ---------------------------------------------------------------------------------
  // A page the service worker answered from its copy (the network was down) carries
  // data-offline-copy (sw.js): say so once, in the error box, until the link returns. Meanwhile a
  // failed call does not repeat it in other words.
  var offlineCopy = document.documentElement.getAttribute("data-offline-copy");
  var offlineShown = false;

  function keptAt(sent) {
    var when = new Date(sent);
    if (isNaN(when)) return "";
    return when.toLocaleString("sv-SE", { timeZone: "Asia/Shanghai" }).slice(0, 16);
  }

  function showOffline() {
    var when = keptAt(offlineCopy);
    var lines = [node("strong", null, WORDS.offline), when ? node("p", "small", WORDS.keptAt + when) : null];
    hide(box("notice"));
    show(box("problem"), lines, document.getElementById("main"));
    offlineShown = true;
  }

  function linkReturned() {
    if (!offlineShown) return;
    offlineShown = false;
    if ("scrollRestoration" in window.history) window.history.scrollRestoration = "auto";
    hide(box("problem"));
    showSuccess(WORDS.online);  // next to where the doctor is working: the page does not jump
  }

  if (offlineCopy !== null) {
    // Open at the top, where the note is, rather than where the page was scrolled to.
    if ("scrollRestoration" in window.history) window.history.scrollRestoration = "manual";
    showOffline();
  }
  window.addEventListener("online", linkReturned);

  // A call that got no answer has told the user (above, or the offline note); the pages' many
  // background loads need not each handle its rejection to keep the console clean.
  window.addEventListener("unhandledrejection", function (event) {
    if (event.reason && event.reason.noAnswer) event.preventDefault();
  });

  async function call(method, url, body, extraHeaders) {
    var headers = Object.assign({ "Accept": "application/json" }, extraHeaders || {});
    if (method !== "GET") headers["X-CSRFToken"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var response;
    try {
      response = await fetch(url, { method: method, headers: headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      if (!offlineShown) {
        showProblem({ title: "The network is down; check the connection and try again.",
          title_zh: "网络连接失败，请检查网络后重试。" });
      }
      err.noAnswer = true;
      throw err;
    }
    linkReturned();
    var data = response.status === 204 ? null : await response.json().catch(function () { return null; });
    if (!response.ok) { showProblem(data); throw Object.assign(new Error("api"), { problem: data, status: response.status }); }
    return data;
  }

  // A random key: Idempotency-Key of a bill, client id of a chat message.
  function newKey(prefix) {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return (prefix || "") + Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // Visit drafts hold patients' words on a shared clinic computer: logging out removes them
  // (leaving with unsaved text has already asked, visit.js).
  function forgetDrafts() {
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf("gpassist:visit:") === 0) window.localStorage.removeItem(key);
      }
    } catch (err) { /* storage off: nothing kept */ }
  }
  // So do the pages the service worker kept (sw.js also forgets them when it sees the logout; this
  // covers a page it does not control, e.g. after a forced reload).
  function forgetPages() {
    if (!window.caches) return Promise.resolve();  // plain HTTP off localhost: nothing kept
    return window.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf("gpassist-pages-") === 0; })
        .map(function (name) { return window.caches.delete(name); }));
    });
  }
  var logout = document.querySelector("form[data-logout]");
  if (logout) logout.addEventListener("submit", function (event) {
    // A page with unsaved text asks first (visit.js cancels this event when the doctor stays).
    var leaving = new CustomEvent("logging-out", { cancelable: true });
    if (!document.dispatchEvent(leaving)) { event.preventDefault(); return; }
    forgetDrafts();
    if (!window.caches) return;
    event.preventDefault();
    forgetPages().catch(function (err) { console.warn("gpassist: forgetting kept pages", err); })
      .then(function () { HTMLFormElement.prototype.submit.call(logout); });
  });

  // The service worker keeps the pages opened while logged in, to read and type into when the
  // link drops. Browsers offer it only to HTTPS sites and localhost.
  function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) return;
    var controlled = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.register("/sw.js").then(function () {
      if (controlled) return null;
      // This page loaded before the worker took control: ask it to keep this page too.
      return navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ keep: window.location.href });
      });
    }).catch(function (err) { console.warn("gpassist: service worker not registered", err); });
  }
  if (document.readyState === "complete") registerServiceWorker();
  else window.addEventListener("load", registerServiceWorker);

  window.gpassist = { call: call, showProblem: showProblem, showSuccess: showSuccess,
    clearMessages: clearMessages, csrf: csrf, newKey: newKey };
})();
