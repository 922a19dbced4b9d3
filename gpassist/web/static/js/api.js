// Calls /api/v1 with the page's session cookie and CSRF token; shows every API problem to the
// user in plain words (the problem's own title/detail, which the API gives in Chinese and English).
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function showProblem(problem) {
    var box = document.getElementById("problem");
    if (!box) return;
    // Chinese first: the problem's Chinese title, each field error's Chinese message; the
    // English detail stays underneath for whoever must report it.
    var zh = document.documentElement.lang !== "en";
    var title = problem && (zh ? problem.title_zh || problem.title : problem.title);
    box.textContent = title || "出错了，请重试。";
    if (problem && problem.detail && !(problem.errors && problem.errors.length)) {
      var detail = document.createElement("p");
      detail.className = "small";
      detail.textContent = problem.detail;
      box.appendChild(detail);
    }
    // Field errors, each in Chinese where the API gives it (message_zh), else as given.
    if (problem && problem.errors && problem.errors.length) {
      var list = document.createElement("ul");
      problem.errors.forEach(function (e) {
        var item = document.createElement("li");
        item.textContent = zh ? e.message_zh || e.message : e.message;
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    box.hidden = false;
    clearTimeout(showProblem.timer);
    showProblem.timer = setTimeout(function () { box.hidden = true; }, 15000);
  }

  async function call(method, url, body, extraHeaders) {
    var headers = Object.assign({ "Accept": "application/json" }, extraHeaders || {});
    if (method !== "GET") headers["X-CSRFToken"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var response;
    try {
      response = await fetch(url, { method: method, headers: headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      showProblem({ title: "网络连接失败，请检查网络后重试。" });
      throw err;
    }
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

  window.gpassist = { call: call, showProblem: showProblem, csrf: csrf, newKey: newKey };
})();
