// The buyer's project form: show the chosen method's parts, offer each row's levels, group the types.
(function () {
    var form = document.getElementById("project-form");
    if (!form) { return; }

    // Show only the parts of the chosen selection method (the server ignores the others anyway).
    function syncMethod() {
        var checked = form.querySelector("input[name='method']:checked");
        Array.prototype.forEach.call(form.querySelectorAll(".method-part"), function (part) {
            var methods = part.getAttribute("data-methods").split(" ");
            part.hidden = !!checked && methods.indexOf(checked.value) < 0;
        });
    }
    Array.prototype.forEach.call(form.querySelectorAll("input[name='method']"), function (radio) {
        radio.addEventListener("change", syncMethod);
    });
    syncMethod();

    // Offer only the levels of each row's chosen type (the server checks it again).
    function syncLevels(row) {
        var type = row.querySelector("select[name$='-qualification_type']");
        var level = row.querySelector("select[name$='-min_level']");
        Array.prototype.forEach.call(level.options, function (option) {
            var kind = option.getAttribute("data-type");
            var show = !kind || kind === type.value;
            option.hidden = !show;
            option.disabled = !show;
        });
        var chosen = level.options[level.selectedIndex];
        if (chosen && chosen.disabled) { level.value = ""; }
    }

    // Put the types that apply to the chosen category first.
    var box = document.getElementById("requirements");
    function regroupTypes(categoryId) {
        Array.prototype.forEach.call(box.querySelectorAll("select[name$='-qualification_type']"), function (select) {
            var value = select.value;
            var options = Array.prototype.filter.call(select.querySelectorAll("option"), function (o) { return o.value; });
            var relevant = document.createElement("optgroup");
            relevant.label = box.getAttribute("data-label-relevant");
            var others = document.createElement("optgroup");
            others.label = box.getAttribute("data-label-others");
            options.forEach(function (option) {
                var cats = (option.getAttribute("data-categories") || "").split(" ");
                (categoryId && cats.indexOf(categoryId) >= 0 ? relevant : others).appendChild(option);
            });
            Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (g) { g.remove(); });
            if (relevant.children.length) { select.appendChild(relevant); }
            if (others.children.length) { select.appendChild(others); }
            select.value = value;
        });
    }
    var category = document.getElementById("id_category");
    category.addEventListener("change", function () { regroupTypes(category.value); });

    Array.prototype.forEach.call(box.querySelectorAll("tr.requirement-row"), function (row) {
        row.querySelector("select[name$='-qualification_type']").addEventListener("change", function () { syncLevels(row); });
        syncLevels(row);
    });
})();
