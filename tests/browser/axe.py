"""axe-core (vendored in tests/vendor) run in a page of a real Chromium, for the accessibility tests."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
RUN_AXE = """async () => {
    const result = await axe.run(document);
    return {
        version: axe.version,
        passed: result.passes.length,
        violations: result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + n.failureSummary),
        })),
    };
}"""


def axe_run(page) -> dict:
    """axe-core's report on the page as loaded: {version, passed, violations: [{id, impact, help, nodes}]}."""
    # Evaluated through the DevTools protocol rather than added as an inline <script>: the site's
    # Content-Security-Policy rightly refuses inline scripts, and the test must not switch it off.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(RUN_AXE)


def serious(report: dict) -> list[dict]:
    """The serious and critical violations of a report."""
    return [v for v in report["violations"] if v["impact"] in ("serious", "critical")]
