// Turns reminders by notification on or off in this browser (My details). Without JavaScript, service workers or
// the Push API, the buttons stay hidden and reminders come by e-mail.
(function () {
  "use strict";
  const box = document.getElementById("push-reminders");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return;
  }
  const status = document.getElementById("push-status");
  const on = document.getElementById("push-on");
  const off = document.getElementById("push-off");
  const token = box.closest("section").querySelector("input[name=csrfmiddlewaretoken]").value;

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); });
  }

  function send(url, subscription) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(subscription.toJSON()),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(body.error || "The clinic's server did not take it.");
        }
        return body;
      });
    });
  }

  // The forms that log out the other devices keep this browser's notifications: they send its endpoint.
  function remember(subscription) {
    document.querySelectorAll("input[data-this-device]").forEach(function (input) {
      input.value = subscription ? subscription.endpoint : "";
    });
  }

  function show(subscribed, message) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    if (message) {
      status.textContent = message;
    }
  }

  function registration() {
    return navigator.serviceWorker.register(box.dataset.workerUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  on.addEventListener("click", function () {
    on.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        throw new Error("This browser was not allowed to show notifications: you can allow them in its settings.");
      }
      return registration();
    }).then(function (ready) {
      return ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey) });
    }).then(function (subscription) {
      return send(box.dataset.subscribeUrl, subscription).then(function () {
        remember(subscription);
      });
    }).then(function () {
      show(true, "Notifications are on for this device.");
    }).catch(function (error) {
      show(false, "Notifications could not be turned on. " + error.message);
    }).finally(function () {
      on.disabled = false;
    });
  });

  off.addEventListener("click", function () {
    off.disabled = true;
    registration().then(function (ready) {
      return ready.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) {
        return null;
      }
      return send(box.dataset.unsubscribeUrl, subscription).then(function () {
        return subscription.unsubscribe();
      });
    }).then(function () {
      remember(null);
      show(false, "Notifications are off for this device.");
    }).catch(function (error) {
      status.textContent = "Notifications could not be turned off. " + error.message;
    }).finally(function () {
      off.disabled = false;
    });
  });

  box.hidden = false;
  navigator.serviceWorker.getRegistration("/").then(function (existing) {
    return existing ? existing.pushManager.getSubscription() : null;
  }).then(function (subscription) {
    if (!subscription || Notification.permission !== "granted") {
      remember(null);
      show(false);
      return null;
    }
    // Renewed on every visit: a subscription the server forgot when this device was logged out from another one
    // comes back once the patient is signed in here again.
    return send(box.dataset.subscribeUrl, subscription).then(function () {
      remember(subscription);
      show(true);
    }, function (error) {
      remember(null);
      show(false, "Notifications are off for this device. " + error.message);
    });
  });
})();
