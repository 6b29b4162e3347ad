/* Form helpers: focus the error summary on load, make its links focus their fields, and show
   "已输入 n / 最多 m 字" under every text input that has a limit (the server refuses over-limit text;
   the browser's maxlength, which cuts pasted text without a word, is not used). No dependencies. */
(function () {
    "use strict";
    if (window.zjcsFormHelpers) { return; }
    window.zjcsFormHelpers = true;

    // Characters as the server counts them: code points, a line break sent as CR LF.
    function length(value) {
        return Array.from(value.replace(/\r?\n/g, "\r\n")).length;
    }

    function counter(input) {
        var limit = parseInt(input.getAttribute("data-maxlength"), 10);
        var note = document.createElement("div");
        note.className = "char-count";
        note.id = (input.id || input.name) + "_count";
        note.setAttribute("aria-live", "polite");
        input.insertAdjacentElement("afterend", note);
        var described = input.getAttribute("aria-describedby");
        input.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
        function update() {
            var n = length(input.value);
            var text = input.getAttribute("data-count-text").replace("{n}", n).replace("{m}", limit);
            if (n > limit) {
                text += " — " + input.getAttribute("data-over-text").replace("{x}", n - limit);
                note.classList.add("over");
            } else {
                note.classList.remove("over");
            }
            note.textContent = text;
        }
        input.addEventListener("input", update);
        update();
    }

    function focusField(id) {
        var field = document.getElementById(id);
        if (!field) { return false; }
        var row = field.closest(".form-row, fieldset, td") || field;
        row.scrollIntoView({block: "center"});
        field.focus();
        return true;
    }

    document.addEventListener("DOMContentLoaded", function () {
        Array.prototype.forEach.call(document.querySelectorAll("[data-maxlength]"), counter);
        var summary = document.querySelector("[data-error-summary]");
        if (summary) {
            summary.focus();
            summary.addEventListener("click", function (event) {
                var link = event.target.closest("a[data-field]");
                if (link && focusField(link.getAttribute("data-field"))) {
                    event.preventDefault();
                }
            });
        }
    });
}());
