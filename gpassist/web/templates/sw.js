// gpassist's service worker: the pages a doctor has opened stay readable when the clinic's link
// drops (gpassist/web/offline.py serves it at /sw.js, so its scope is the whole site).
// - Static files are content-hashed (?v=…): kept at install and answered from the cache first.
// - /app pages opened while logged in: from the network first; when it is down, the last good
//   copy, marked so the page can say it is offline (api.js); a page never kept gets /offline.
// - /api/ never passes through a cache: the visit's drafts in localStorage are the offline store.
// - Logging in or out forgets every kept page (patients' names on a shared clinic computer).
// The caches carry the assets' version: a deploy brings a new worker, which drops the old ones.
"use strict";
var VERSION = {{ version|tojson }};
var ASSETS = "gpassist-assets-" + VERSION;
var PAGES = "gpassist-pages-" + VERSION;
var PAGES_PREFIX = "gpassist-pages-";
var PRECACHE = {{ precache|tojson }};
var OFFLINE_PAGE = {{ offline_url|tojson }};

self.addEventListener("install", function (event) {
  if (event.addRoutes) {
    // Where the browser can, API calls and sockets do not even wake the worker.
    event.addRoutes([
      { condition: { urlPattern: new URLPattern({ pathname: "/api/*" }) }, source: "network" },
      { condition: { urlPattern: new URLPattern({ pathname: "/socket.io/*" }) }, source: "network" },
    ]).catch(function (err) { console.warn("gpassist service worker: routes", err); });
  }
  event.waitUntil(caches.open(ASSETS)
    .then(function (cache) { return cache.addAll(PRECACHE); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("gpassist-") === 0 && name !== ASSETS && name !== PAGES;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// Writes to and removals of the page cache run one after the other, so a page kept just before
// a logout cannot land after the logout's removal. A page whose fetch began before a removal is
// not kept at all (its answer may come after the logout): each removal starts a new generation.
var pageWork = Promise.resolve();
var generation = 0;
function queued(step) {
  pageWork = pageWork.then(step, step);
  return pageWork;
}

function forgetPages() {
  generation += 1;
  return queued(function () {
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf(PAGES_PREFIX) === 0; })
        .map(function (name) { return caches.delete(name); }));
    });
  });
}

function isAppPage(url) {
  return url.origin === self.location.origin && (url.pathname === "/app" || url.pathname.indexOf("/app/") === 0);
}

// A page worth keeping: an /app page the server itself answered for a logged-in user (a
// redirect to the login page is not one; neither is an error).
function keepable(url, response) {
  var type = response.headers.get("Content-Type") || "";
  var cacheControl = response.headers.get("Cache-Control") || "";
  return isAppPage(url) && response.status === 200 && response.type === "basic" && !response.redirected &&
    type.indexOf("text/html") === 0 && cacheControl.indexOf("no-store") < 0;
}

// Kept with the time it was kept (servers' Date headers vary: some send it twice).
function keepPage(request, response, since) {
  return queued(function () {
    if (since !== generation) return undefined;  // logged out (or in) since the fetch began
    return response.blob().then(function (body) {
      var kept = new Response(body, { headers: {
        "Content-Type": response.headers.get("Content-Type"), "X-Kept-At": new Date().toISOString() } });
      return caches.open(PAGES).then(function (cache) { return cache.put(request, kept); });
    });
  });
}

function offlinePage() {
  return caches.match(OFFLINE_PAGE, { cacheName: ASSETS }).then(function (page) { return page || Response.error(); });
}

// The kept copy of a page, marked with when it was kept (data-offline-copy on <html>), or the
// offline page.
function keptCopy(request) {
  return caches.open(PAGES).then(function (cache) { return cache.match(request, { ignoreVary: true }); })
    .then(function (kept) {
      if (!kept) return offlinePage();
      var keptAt = (kept.headers.get("X-Kept-At") || "").replace(/[^\w.:+-]/g, "");
      return kept.text().then(function (html) {
        var marked = html.replace("<html", '<html data-offline-copy="' + keptAt + '"');
        return new Response(marked, { headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    });
}

function networkFirst(event) {
  var request = event.request, since = generation;
  return fetch(request).then(function (response) {
    if (keepable(new URL(request.url), response)) event.waitUntil(keepPage(request, response.clone(), since));
    return response;
  }, function () { return keptCopy(request); });
}

function cacheFirst(request) {
  return caches.match(request, { cacheName: ASSETS, ignoreVary: true }).then(function (hit) {
    return hit || fetch(request);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && (url.pathname === "/login" || url.pathname === "/logout")) {
    // A new session (or none) from here on: the pages kept so far are not for it.
    var forgotten = forgetPages().catch(function (err) { console.warn("gpassist service worker: forget", err); });
    event.respondWith(forgotten.then(function () { return fetch(request); })
      .catch(function () { return offlinePage(); }));
    return;
  }
  if (request.method !== "GET" || url.pathname.indexOf("/api/") === 0 || url.pathname.indexOf("/socket.io/") === 0) return;
  if (url.pathname.indexOf("/assets/") === 0 || url.pathname === "/favicon.ico") {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(event));
  }
});

// A page that loaded before this worker took control asks to be kept (api.js).
self.addEventListener("message", function (event) {
  var wanted = event.data && event.data.keep;
  if (!wanted) return;
  var url = new URL(wanted, self.location.origin);
  url.hash = "";
  if (!isAppPage(url)) return;
  var since = generation;
  event.waitUntil(fetch(url.href, { credentials: "same-origin" }).then(function (response) {
    if (keepable(url, response)) return keepPage(new Request(url.href), response, since);
  }).catch(function (err) { console.warn("gpassist service worker: keep", err); }));
});
