// The patient's pages on a phone: installed as an app, readable offline, and a check-in sent without a connection
// kept on the phone until it can go. Everything here is an addition: without it (or without JavaScript) the pages
// and the check-in form work as plain pages.
//
// - Registers the service worker (/sw.js, handlers in js/sw-offline.js) on a signed-in patient's pages, and asks it
//   to keep Today and the check-in form for reading offline.
// - A page served from the saved copy says so, with the time it was saved.
// - The check-in form sent offline: its answers (with the form's idempotency key) go to IndexedDB, and the patient
//   is told it is waiting. Whenever a page opens online, or the connection comes back, each waiting check-in is
//   sent as the form would send it; the same key never makes a second check-in (checkins.services.checkin_submit),
//   so a check-in is stored once however often it is sent. The patient then reads that it arrived, or why the
//   clinic could not take it (their program changed since, for one).
// - On anybody else's page (the log-in page after a log-out, a member of staff's) the saved pages are forgotten.
(function () {
  "use strict";

  const PAGES_CACHE = "rehab-pages-v1"; // as in js/sw-offline.js
  const DB_NAME = "rehab-offline";
  const STORE = "checkins";
  const DETAIL_PATH = /^\/check-ins\/\d+\/$/; // checkins:detail, where a check-in that was taken leads
  const meta = document.querySelector('meta[name="offline-patient"]');
  const savedAt = document.documentElement.dataset.offlineSaved;

  if (!meta) {
    if (window.caches) {
      window.caches.delete(PAGES_CACHE).catch(function () {});
    }
    return;
  }
  const patient = meta.getAttribute("content");
  const main = document.getElementById("main");

  // --- Plain words ---------------------------------------------------------------------------------------------

  function dayWords(isoDay) {
    const day = new Date(isoDay + "T12:00:00Z");
    if (Number.isNaN(day.getTime())) {
      return "your session";
    }
    return new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" })
      .format(day);
  }

  function momentWords(iso) {
    const moment = new Date(iso);
    if (Number.isNaN(moment.getTime())) {
      return "an earlier visit";
    }
    const day = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long" }).format(moment);
    const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" }).format(moment);
    return day + " at " + time;
  }

  function statusArea() {
    let area = document.getElementById("offline-status");
    if (!area) {
      area = document.createElement("div");
      area.id = "offline-status";
      area.setAttribute("aria-live", "polite");
      main.insertBefore(area, main.firstChild);
    }
    return area;
  }

  function say(id, kind, text, link) {
    let note = document.getElementById(id);
    if (!note) {
      note = document.createElement("div");
      note.id = id;
      note.setAttribute("role", "status");
      statusArea().appendChild(note);
    }
    note.className = "alert alert-" + kind;
    note.textContent = text;
    if (link) {
      const anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.className = "ms-1";
      anchor.textContent = link.text;
      note.appendChild(anchor);
    }
    return note;
  }

  // --- A page from the saved copy ------------------------------------------------------------------------------

  if (savedAt) {
    say("offline-copy", "warning", "Saved on " + momentWords(savedAt) + "; you are offline.");
    window.addEventListener("online", function () {
      say("offline-copy", "info", "You are back online.", { href: window.location.pathname, text: "Show the latest" });
    });
  }

  // --- The service worker --------------------------------------------------------------------------------------

  if ("serviceWorker" in navigator && !savedAt) {
    navigator.serviceWorker
      .register(meta.dataset.worker, { scope: "/" })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (registration) {
        if (navigator.onLine && registration.active) {
          const channel = new MessageChannel();
          channel.port1.onmessage = function () {
            document.documentElement.dataset.offlineReady = "true";
          };
          registration.active.postMessage({ type: "keep-pages" }, [channel.port2]);
        }
      })
      .catch(function () {});
  }

  // --- Check-ins kept on the phone (IndexedDB) -----------------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "key" });
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function inStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        const transaction = db.transaction(STORE, mode);
        const result = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () {
          db.close();
          resolve(result && "result" in result ? result.result : undefined);
        };
        transaction.onerror = function () {
          db.close();
          reject(transaction.error);
        };
      });
    });
  }

  function waiting() {
    return inStore("readonly", function (store) {
      return store.getAll();
    }).then(function (entries) {
      return (entries || []).filter(function (entry) {
        return entry.patient === patient;
      });
    });
  }

  function keepCheckin(entry) {
    return inStore("readwrite", function (store) {
      store.put(entry);
    });
  }

  function dropCheckin(key) {
    return inStore("readwrite", function (store) {
      store.delete(key);
    });
  }

  function showWaiting(entry, link) {
    say(
      "offline-" + entry.key,
      "info",
      "Your report of " + dayWords(entry.sessionDate) + " is saved on this phone and waiting to be sent. " +
        "It will go to the clinic by itself when you are back online.",
      link
    );
  }

  // --- Sending a check-in offline ------------------------------------------------------------------------------

  const form = document.querySelector("form[data-offline-checkin]");
  if (form && savedAt) {
    // A saved copy of the form carries the key of an earlier visit: each report made from it gets its own.
    const key = form.querySelector('input[name="idempotency_key"]');
    if (key) {
      key.value = newKey();
    }
    // And the day it was saved on may have passed: the session is today's unless the patient says otherwise.
    const date = form.querySelector('input[name="session_date"]');
    if (date) {
      const now = new Date();
      const today = [now.getFullYear(), String(now.getMonth() + 1).padStart(2, "0"), String(now.getDate()).padStart(2, "0")].join("-");
      if (date.max && date.max < today) {
        date.max = today;
        date.value = today;
      }
    }
  }
  if (form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) {
        return; // sent as a plain form
      }
      event.preventDefault();
      const missing = unanswered(form);
      if (missing) {
        say("offline-missing", "danger", "Some answers are missing: " + missing + ". Answer them, then send again.");
        return;
      }
      const note = document.getElementById("offline-missing");
      if (note) {
        note.remove();
      }
      const data = new FormData(form);
      const entry = {
        key: String(data.get("idempotency_key")),
        patient: patient,
        action: form.getAttribute("action") || window.location.pathname,
        body: new URLSearchParams(data).toString(),
        sessionDate: String(data.get("session_date") || ""),
        savedAt: new Date().toISOString(),
      };
      keepCheckin(entry).then(
        function () {
          form.hidden = true;
          const urgent = data.getAll("symptoms").some(function (value) {
            return value !== "none";
          });
          if (urgent) {
            showUrgentAdvice();
          }
          showWaiting(entry, { href: meta.dataset.today, text: "Back to Today" });
          window.scrollTo(0, 0);
        },
        function () {
          say("offline-missing", "danger", "This phone could not keep your report. Send it again when you are online.");
        }
      );
    });
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // The questions of the form left without an answer, by their legend, or "" when all are answered.
  function unanswered(target) {
    const names = new Set();
    target.querySelectorAll('input[type="radio"], input[type="checkbox"]').forEach(function (input) {
      names.add(input.name);
    });
    const missing = [];
    names.forEach(function (name) {
      if (!target.querySelector('input[name="' + name + '"]:checked')) {
        const input = target.querySelector('input[name="' + name + '"]');
        const group = input.closest("fieldset");
        const legend = group ? group.querySelector("legend") : null;
        missing.push(legend ? legend.textContent.trim() : name);
      }
    });
    return missing.join("; ");
  }

  // Warning symptoms ticked offline: the clinic cannot be told yet, so the advice to get help now is shown at once.
  function showUrgentAdvice() {
    const template = document.getElementById("offline-urgent-advice");
    if (template && !document.getElementById("urgent-advice")) {
      statusArea().after(template.content.cloneNode(true));
      const advice = document.getElementById("urgent-advice");
      if (advice) {
        advice.focus();
      }
    }
  }

  // --- Sending what waits ----------------------------------------------------------------------------------------

  let sending = false;

  function sendWaiting() {
    if (sending || !navigator.onLine) {
      return Promise.resolve();
    }
    sending = true;
    return waiting()
      .then(function (entries) {
        return entries.reduce(function (previous, entry) {
          return previous.then(function () {
            return send(entry);
          });
        }, Promise.resolve());
      })
      .catch(function () {})
      .then(function () {
        sending = false;
      });
  }

  function parse(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  // The reason the clinic gave for not taking it: the form's errors, or the message of the page it led to.
  function refusal(doc) {
    const said = [];
    doc.querySelectorAll('#form-errors p, main [id$="-error"], main .invalid-feedback').forEach(function (part) {
      const text = part.textContent.trim();
      if (text && !said.includes(text)) {
        said.push(text);
      }
    });
    if (!said.length) {
      const message = doc.querySelector("main > [aria-live] .alert");
      said.push(message ? message.textContent.trim() : "the report could not be taken.");
    }
    return said.join(" ");
  }

  function send(entry) {
    // A fresh form first: its CSRF token is the one the session holds now (it changes when the patient logs in).
    return fetch(entry.action, { credentials: "same-origin" })
      .then(function (response) {
        const where = new URL(response.url);
        if (where.pathname === meta.dataset.login) {
          say("offline-" + entry.key, "warning",
            "Your report of " + dayWords(entry.sessionDate) + " is still waiting on this phone: log in again to send it.");
          return null;
        }
        return response.text().then(function (html) {
          const doc = parse(html);
          const token = doc.querySelector('input[name="csrfmiddlewaretoken"]');
          if (!token) {
            return settle(entry, false, refusal(doc));
          }
          const body = new URLSearchParams(entry.body);
          body.set("csrfmiddlewaretoken", token.value);
          return fetch(entry.action, { method: "POST", body: body, credentials: "same-origin" }).then(function (sent) {
            const landed = new URL(sent.url);
            if (sent.status === 200 && DETAIL_PATH.test(landed.pathname)) {
              return settle(entry, true, landed.pathname);
            }
            if (sent.status === 200) {
              return sent.text().then(function (answer) {
                return settle(entry, false, refusal(parse(answer)));
              });
            }
            return null; // the server could not answer now (an error, a refused token): tried again later
          });
        });
      })
      .catch(function () {
        return null; // no connection after all: it waits
      });
  }

  function settle(entry, arrived, detail) {
    return dropCheckin(entry.key).then(function () {
      if (arrived) {
        say("offline-" + entry.key, "success", "Your report of " + dayWords(entry.sessionDate) + " has arrived at the clinic.",
          { href: detail, text: "See your report" });
      } else {
        say("offline-" + entry.key, "danger",
          "Your report of " + dayWords(entry.sessionDate) + ", kept on this phone, could not be sent. The clinic's " +
            "answer: " + detail,
          { href: entry.action, text: "Report that session again" });
      }
    });
  }

  if (window.indexedDB) {
    waiting()
      .then(function (entries) {
        entries.forEach(function (entry) {
          showWaiting(entry);
        });
      })
      .then(sendWaiting)
      .catch(function () {});
    window.addEventListener("online", sendWaiting);
  }
})();
