// The service worker's part for reminders: show a pushed reminder, and open what its tap or its action names.
// Taken in by the service worker at /sw.js (importScripts).
self.addEventListener("push", function (event) {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const actions = data.stop_url ? [{ action: "stop", title: data.stop_label || "Stop these reminders" }] : [];
  event.waitUntil(
    self.registration.showNotification(data.title || "Back rehab clinic", {
      body: data.body || "",
      tag: data.tag || "reminder",
      data: { url: data.url || "/", stopUrl: data.stop_url || "" },
      actions: actions,
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const data = event.notification.data || {};
  const target = event.action === "stop" && data.stopUrl ? data.stopUrl : data.url || "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (const client of windows) {
        if (client.url === target && "focus" in client) {
          return client.focus();
        }
      }
      return self.clients.openWindow(target);
    })
  );
});
