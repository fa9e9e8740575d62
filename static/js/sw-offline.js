// The service worker's offline handlers (imported by /sw.js, which sets self.REHAB_OFFLINE first).
//
// - The patient pages it names (Today and the check-in form) are fetched from the network first; each answer is kept
//   as the offline copy, with the time it was saved. Without a network, the copy is served, marked on its <html>
//   element with that time (data-offline-saved), so that the page can say it is a saved copy (js/offline.js).
// - The static files (styles, scripts, icons) are kept at install, and served from the cache while a fresh copy is
//   fetched behind them.
// - Nothing else is touched: every other request, and every POST, goes to the network as if there were no worker.
"use strict";

const OFFLINE = self.REHAB_OFFLINE;
const PAGES_CACHE = "rehab-pages-v1"; // the patient's pages; js/offline.js forgets it on any other user's page
const STATIC_CACHE = "rehab-static-v1";
const SAVED_AT = "X-Offline-Saved-At";
const REFRESH_AFTER_MS = 5 * 60 * 1000; // a page kept in the background is fetched again after this long

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE).then((cache) => cache.addAll(OFFLINE.static)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith("rehab-") && name !== PAGES_CACHE && name !== STATIC_CACHE)
          .map((name) => caches.delete(name))
      );
      // Static files of an earlier version (their fingerprinted names have changed) are dropped.
      const cache = await caches.open(STATIC_CACHE);
      const wanted = new Set(OFFLINE.static.map((path) => new URL(path, self.location.origin).href));
      for (const request of await cache.keys()) {
        if (!wanted.has(request.url)) {
          await cache.delete(request);
        }
      }
      await self.clients.claim();
    })()
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (OFFLINE.pages.includes(url.pathname) && !url.search) {
    event.respondWith(page(request, url.pathname));
  } else if (url.pathname.startsWith(OFFLINE.staticPrefix)) {
    event.respondWith(staticFile(event));
  }
});

// A page kept for reading offline: the network's answer (kept as the new copy), or the copy when there is none.
async function page(request, path) {
  try {
    const response = await fetch(request);
    if (keepable(response)) {
      await keep(path, response.clone());
    }
    return response;
  } catch (error) {
    const copy = await savedCopy(path);
    if (copy) {
      return copy;
    }
    throw error;
  }
}

// Only a page the patient was shown: not a redirect (to the log-in page, say), not an error.
function keepable(response) {
  return response.status === 200 && response.type === "basic" && !response.redirected;
}

async function keep(path, response) {
  const headers = new Headers(response.headers);
  headers.set(SAVED_AT, new Date().toISOString());
  const body = await response.blob();
  const cache = await caches.open(PAGES_CACHE);
  await cache.put(path, new Response(body, { status: 200, headers: headers }));
}

async function savedCopy(path) {
  const cache = await caches.open(PAGES_CACHE);
  const copy = await cache.match(path);
  if (!copy) {
    return null;
  }
  const savedAt = copy.headers.get(SAVED_AT) || "";
  const html = await copy.text();
  // The copy keeps the page's own headers (its Content-Security-Policy among them).
  const marked = html.replace("<html", '<html data-offline-saved="' + savedAt.replace(/[^0-9TZ:.-]/g, "") + '"');
  return new Response(marked, { status: 200, headers: copy.headers });
}

async function staticFile(event) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(event.request);
  const fresh = fetch(event.request).then((response) => {
    if (response.status === 200) {
      cache.put(event.request, response.clone());
    }
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => undefined));
    return cached;
  }
  return fresh;
}

// Messages from the pages (js/offline.js):
// - "keep-pages": fetch the offline pages not kept lately (a patient who opened Today can then open the check-in
//   form offline too); answers on the message's port when done.
// - "forget-pages": drop every kept page (another person signs in on this browser).
self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = event.ports && event.ports[0];
  let work = null;
  if (data.type === "keep-pages") {
    work = keepPages();
  } else if (data.type === "forget-pages") {
    work = caches.delete(PAGES_CACHE);
  }
  if (work) {
    event.waitUntil(
      work.then(
        () => reply && reply.postMessage({ ok: true }),
        () => reply && reply.postMessage({ ok: false })
      )
    );
  }
});

async function keepPages() {
  const cache = await caches.open(PAGES_CACHE);
  for (const path of OFFLINE.pages) {
    const copy = await cache.match(path);
    const savedAt = copy ? Date.parse(copy.headers.get(SAVED_AT) || "") : NaN;
    if (!Number.isNaN(savedAt) && Date.now() - savedAt < REFRESH_AFTER_MS) {
      continue;
    }
    const response = await fetch(path, { credentials: "same-origin", redirect: "follow" });
    if (keepable(response)) {
      await keep(path, response);
    }
  }
}
