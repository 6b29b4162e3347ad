/* Re-verify a draw proof (zjcs-draw-v1, specified in docs/draw.md) in the reader's own browser.
 *
 * Plain JavaScript, no libraries: SHA-256 and HMAC-SHA-256 come from the browser's WebCrypto
 * (crypto.subtle). Nothing the server says is taken on trust: the pool hash, the seed, every
 * agency's key and the ranking are recomputed from the proof's own fields, exactly as
 * workflows/draw.py does, and each check in the page's list turns ✓ or ✗.
 *
 * Markup (templates/workflows/draw_browser_check.html): a section[data-draw-check] with either
 * data-proof-url (fetch the JSON) or data-proof-element (id of a json_script element), optional
 * data-announced / data-project-code / data-expected-beacon to hold the proof to the announcement,
 * rows tr[data-check=<code>] whose td[data-role=mark] shows the result, a [data-role=status]
 * line (texts in data-text-* attributes, so they are translated by the server) and a
 * tbody[data-role=recomputed] for the recomputed ranking.
 */
(function () {
    "use strict";

    var VERSION = "zjcs-draw-v1";
    var FIELDS = ["version", "project_code", "pool", "pool_hash", "commitment", "secret", "beacon", "seed", "ranking"];
    var HEX64 = /^[0-9a-f]{64}$/;
    // GB 32100-2015: the code alphabet leaves out I, O, S, V and Z; the 18th character is a check.
    var USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    var USCC_AUTHORITIES = "123456789ANY";
    var encoder = new TextEncoder();

    function toHex(buffer) {
        return Array.from(new Uint8Array(buffer), function (b) {
            return b.toString(16).padStart(2, "0");
        }).join("");
    }

    function fromHex(text) {
        var bytes = new Uint8Array(text.length / 2);
        for (var i = 0; i < bytes.length; i++) {
            bytes[i] = parseInt(text.substr(i * 2, 2), 16);
        }
        return bytes;
    }

    async function sha256Hex(bytes) {
        return toHex(await crypto.subtle.digest("SHA-256", bytes));
    }

    // USCCs and hex keys are ASCII, where UTF-16 order equals Python's code-point order.
    function compare(a, b) {
        return a < b ? -1 : a > b ? 1 : 0;
    }

    function usccValid(code) {
        if (typeof code !== "string" || code.length !== 18) return false;
        for (var i = 0; i < 18; i++) {
            if (USCC_ALPHABET.indexOf(code[i]) < 0) return false;
        }
        if (USCC_AUTHORITIES.indexOf(code[0]) < 0 || !/^[0-9]{6}$/.test(code.slice(2, 8))) return false;
        var total = 0;
        var weight = 1;
        for (var j = 0; j < 17; j++) {
            total += USCC_ALPHABET.indexOf(code[j]) * weight;
            weight = (weight * 3) % 31;
        }
        return code[17] === USCC_ALPHABET[(31 - (total % 31)) % 31];
    }

    function shapeOk(p) {
        if (p === null || typeof p !== "object" || Array.isArray(p)) return false;
        if (!FIELDS.every(function (name) { return Object.prototype.hasOwnProperty.call(p, name); })) return false;
        if (typeof p.project_code !== "string" || !p.project_code || typeof p.beacon !== "string") return false;
        if (!["pool_hash", "commitment", "secret", "seed"].every(function (n) {
            return typeof p[n] === "string" && HEX64.test(p[n]);
        })) return false;
        if (!Array.isArray(p.pool) || p.pool.length === 0) return false;
        var seen = new Set();
        for (var i = 0; i < p.pool.length; i++) {
            var m = p.pool[i];
            if (m === null || typeof m !== "object" || typeof m.name !== "string" || !usccValid(m.uscc)) return false;
            if (seen.has(m.uscc)) return false;
            seen.add(m.uscc);
        }
        return Array.isArray(p.ranking) && p.ranking.every(function (u) { return typeof u === "string"; });
    }

    /* Recompute everything; returns {checks: {code: true|false}, ranking: [{uscc, name, key}]}. */
    async function verify(p, expected) {
        var checks = {};
        checks.version = p !== null && typeof p === "object" && p.version === VERSION;
        checks.format = checks.version && shapeOk(p);
        if (!checks.format) return { checks: checks, ranking: [] };

        checks.commitment = (await sha256Hex(fromHex(p.secret))) === p.commitment;
        if (expected.announced !== null) checks.announced = p.commitment === expected.announced;
        if (expected.projectCode !== null) checks.project = p.project_code === expected.projectCode;
        if (expected.beacon !== null) checks.beacon = p.beacon === expected.beacon;

        var usccs = p.pool.map(function (m) { return m.uscc; }).sort(compare);
        var poolHash = await sha256Hex(encoder.encode(usccs.join("\n")));
        checks.pool_hash = poolHash === p.pool_hash;

        // The seed is built from the recomputed pool hash, never from the claimed one.
        var message = [VERSION, p.project_code, poolHash, p.secret, p.beacon].join("|");
        var seed = await crypto.subtle.digest("SHA-256", encoder.encode(message));
        checks.seed = toHex(seed) === p.seed;

        var hmacKey = await crypto.subtle.importKey("raw", seed, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
        var names = new Map(p.pool.map(function (m) { return [m.uscc, m.name]; }));
        var ranking = await Promise.all(usccs.map(async function (uscc) {
            var key = toHex(await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(uscc)));
            return { uscc: uscc, name: names.get(uscc), key: key };
        }));
        // Keys ascending; equal keys (a SHA-256 collision) fall back to the USCC, as on the server.
        ranking.sort(function (a, b) { return compare(a.key, b.key) || compare(a.uscc, b.uscc); });
        checks.ranking = ranking.length === p.ranking.length && ranking.every(function (row, i) {
            return row.uscc === p.ranking[i];
        });
        return { checks: checks, ranking: ranking };
    }

    function mark(cell, state) {
        var badge = document.createElement("span");
        badge.className = state === true ? "badge grade-A" : "badge grade-D";
        badge.textContent = state === true ? "✓" : "✗";
        cell.replaceChildren(badge);
    }

    function render(section, outcome) {
        var allOk = true;
        section.querySelectorAll("tr[data-check]").forEach(function (row) {
            var state = outcome.checks[row.dataset.check] === true;
            allOk = allOk && state;
            row.dataset.state = state ? "ok" : "bad";
            mark(row.querySelector("[data-role=mark]"), state);
        });
        var body = section.querySelector("tbody[data-role=recomputed]");
        body.replaceChildren();
        outcome.ranking.forEach(function (row, i) {
            var tr = document.createElement("tr");
            tr.dataset.uscc = row.uscc;
            [String(i + 1), row.uscc, row.name, row.key].forEach(function (text, column) {
                var td = document.createElement("td");
                td.textContent = text;
                if (column === 0) td.className = "num";
                if (column === 1 || column === 3) td.className = "mono";
                if (i === 0 && column === 2) td.style.fontWeight = "700";
                tr.appendChild(td);
            });
            body.appendChild(tr);
        });
        section.querySelector("[data-role=ranking-block]").hidden = outcome.ranking.length === 0;
        finish(section, allOk ? "ok" : "bad");
    }

    function finish(section, result, detail) {
        section.dataset.result = result;
        var status = section.querySelector("[data-role=status]");
        status.textContent = section.getAttribute("data-text-" + result) + (detail ? " (" + detail + ")" : "");
        status.className = result === "ok" ? "message success" : "message error";
    }

    function expectation(section, name) {
        return section.hasAttribute(name) ? section.getAttribute(name) : null;
    }

    async function run(section) {
        if (!(window.crypto && crypto.subtle && window.TextEncoder)) {
            finish(section, "unsupported");
            return;
        }
        try {
            var proof;
            if (section.dataset.proofUrl) {
                var response = await fetch(section.dataset.proofUrl, { headers: { Accept: "application/json" } });
                if (!response.ok) throw new Error("HTTP " + response.status);
                proof = await response.json();
            } else {
                proof = JSON.parse(document.getElementById(section.dataset.proofElement).textContent);
            }
            render(section, await verify(proof, {
                announced: expectation(section, "data-announced"),
                projectCode: expectation(section, "data-project-code"),
                beacon: expectation(section, "data-expected-beacon"),
            }));
        } catch (error) {
            finish(section, "error", error.message);
        }
    }

    document.querySelectorAll("section[data-draw-check]").forEach(run);
})();
