// Wagtail admin widgets whose own templates start them with an inline script (refused by the site's
// Content-Security-Policy): cms/templates/wagtailadmin/widgets/*.html leave a marker instead, and this
// file makes the same call (initDateChooser and friends, defined by Wagtail's date-time-chooser.js).
(function () {
    "use strict";
    var ALLOWED = ["initDateChooser", "initTimeChooser", "initDateTimeChooser"];

    function start(root) {
        Array.prototype.forEach.call(root.querySelectorAll("[data-wagtail-chooser]:not([data-started])"), function (marker) {
            var name = marker.getAttribute("data-wagtail-chooser");
            if (ALLOWED.indexOf(name) < 0 || typeof window[name] !== "function") { return; }
            marker.setAttribute("data-started", "");
            window[name](marker.getAttribute("data-target"), JSON.parse(marker.getAttribute("data-config") || "{}"));
        });
    }

    document.addEventListener("DOMContentLoaded", function () {
        start(document);
        // Forms Wagtail adds later (a new inline form, a modal) carry their own markers.
        new MutationObserver(function () { start(document); }).observe(document.body, { childList: true, subtree: true });
    });
})();
