// Check-in: when the device allows it, fill the form's hidden location fields (latitude,
// longitude, accuracy) from navigator.geolocation. Without JavaScript or permission the form
// posts without a location, which the server accepts.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.check-in");
    if (!form || !navigator.geolocation) return;
    var status = form.querySelector("[data-location-status]");
    var say = function (text) { if (status) status.textContent = text; };
    say("Location: asking the device…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.latitude.value = pos.coords.latitude.toFixed(6);
      form.elements.longitude.value = pos.coords.longitude.toFixed(6);
      form.elements.accuracy_m.value = Math.round(pos.coords.accuracy);
      say("Location: shared (±" + Math.round(pos.coords.accuracy) + " m).");
    }, function () {
      say("Location: not shared.");
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });
})();
