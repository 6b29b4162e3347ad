// Offer only the levels of the chosen qualification type (the server checks it again).
(function () {
    var type = document.getElementById("id_qualification_type");
    var level = document.getElementById("id_level");
    if (!type || !level) { return; }
    function sync() {
        Array.prototype.forEach.call(level.options, function (option) {
            var kind = option.getAttribute("data-type");
            var show = !kind || kind === type.value;
            option.hidden = !show;
            option.disabled = !show;
        });
        var chosen = level.options[level.selectedIndex];
        if (chosen && chosen.disabled) { level.value = ""; }
    }
    type.addEventListener("change", sync);
    sync();
})();
