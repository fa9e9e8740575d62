{% load static %}// The app's service worker: its scope is the whole site. It takes in the handlers of the reminders' notifications.
importScripts("{% static 'js/sw-push.js' %}");
