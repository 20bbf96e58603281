// The traveller's service worker: pages are fetched from the service while online, and the
// last copy of the certificates and the health code is what an offline reload shows. Nothing
// is fetched from another host; signing out deletes the copies (holder.js).
"use strict";
var CACHE = "healthcert-holder";
var SHELL = ["/static/style.css", "/static/holder.css", "/static/holder.js", "/static/favicon.svg"];
// The pages kept for offline reading: the overview, the certificates and the health code.
var KEPT = /^\/holder(\/certificates(\/\d+)?|\/health-code)?$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!KEPT.test(url.pathname) && url.pathname.indexOf("/static/") !== 0) return;
  event.respondWith(fetch(request).then(function (response) {
    // A redirect (to sign in) or an error is never what an offline reload should show.
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (found) {
      return found || caches.match(request, { ignoreSearch: true }).then(function (any) {
        return any || Response.error();
      });
    });
  }));
});
