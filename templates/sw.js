{% load static %}// The service worker of the patient pages, served at /sw.js (rehab/installable.py) so that its scope is the app.
"use strict";
self.REHAB_OFFLINE = {{ config|safe }};
importScripts("{% static 'js/sw-offline.js' %}");
importScripts("{% static 'js/sw-push.js' %}");
