"""docs/draw.md, the published draw specification, says what workflows/draw.py does.

The test vectors, the example proof and the verification code are read out of the document and
recomputed with the implementation, so neither can change without the other.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import resolve, reverse

from marketplace.validators import org_code_for_serial, uscc_build
from tests.factories import BuyerUnitFactory, UserFactory, leaf_category
from workflows import draw
from workflows.markdown_subset import markdown_html
from workflows.models import Project

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "draw.md"
HOWTO = ROOT / "templates" / "workflows" / "includes" / "draw_howto.html"

# The official test vector, as first published: the document must keep printing exactly these.
OFFICIAL = {
    "project_code": "ZJCS-2026-000123",
    "pool": ["91441300MA4W12345R", "91441300MA4W23456J", "91441300MA4W34567B"],
    "secret": bytes(range(32)).hex(),
    "beacon": "",
    "pool_hash": "1b53f4d276dd96019697ad6fb38e9b75851f7ca72d94b809c82f3cc863629bcd",
    "commitment": "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd",
    "seed": "feb142212559aa699015118d10d25a87e96fefc7912529c9bc14b23eaa0a7f65",
    "ranking": ["91441300MA4W12345R", "91441300MA4W34567B", "91441300MA4W23456J"],
}


def spec_text() -> str:
    return SPEC.read_text(encoding="utf-8")


def section(title_start: str) -> str:
    """The text of the ``##`` section whose title starts with ``title_start``."""
    parts = re.split(r"^## ", spec_text(), flags=re.M)
    matches = [part for part in parts if part.startswith(title_start)]
    assert len(matches) == 1, f"docs/draw.md should have one section '## {title_start}…'"
    return matches[0]


def fenced(text: str, language: str) -> list[str]:
    """The bodies of the ```language blocks in ``text``."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


def vectors() -> list[dict]:
    blocks = [json.loads(block) for block in fenced(section("7. Test vectors"), "json")]
    return [block for block in blocks if "seed_message" in block]


def example_proof() -> dict:
    blocks = [json.loads(block) for block in fenced(section("7. Test vectors"), "json")]
    proofs = [block for block in blocks if "version" in block]
    assert len(proofs) == 1
    return proofs[0]


def snippet() -> str:
    blocks = [block for block in fenced(section("5. How to verify"), "python") if "def verify(" in block]
    assert len(blocks) == 1
    return blocks[0]


def snippet_verify():
    namespace: dict = {}
    exec(compile(snippet(), "docs/draw.md", "exec"), namespace)  # the document's code, run as a reader would
    return namespace["verify"]


def computed(vector: dict) -> dict:
    """Everything a vector prints, recomputed by workflows/draw.py from its inputs."""
    secret = bytes.fromhex(vector["secret"])
    pool_hash = draw.pool_hash(vector["pool"])
    seed = draw.seed(vector["project_code"], pool_hash, secret, vector["beacon"])
    return {
        "project_code": vector["project_code"],
        "pool": vector["pool"],
        "secret": secret.hex(),
        "beacon": vector["beacon"],
        "pool_text": "\n".join(sorted(vector["pool"])),
        "pool_hash": pool_hash,
        "commitment": draw.commitment(secret),
        "seed_message": "|".join([draw.VERSION, vector["project_code"], pool_hash, secret.hex(), vector["beacon"]]),
        "seed": seed.hex(),
        "keys": {uscc: draw.key(seed, uscc) for uscc in vector["pool"]},
        "ranking": draw.ranking(seed, vector["pool"]),
    }


# --- the test vectors --------------------------------------------------------------------------------


def test_the_document_prints_two_vectors_one_with_a_beacon():
    found = vectors()
    assert len(found) == 2
    assert found[0]["beacon"] == "" and found[1]["beacon"] != ""
    assert any(ord(char) > 127 for char in found[1]["beacon"])  # the beacon exercises UTF-8


@pytest.mark.parametrize("index", [0, 1])
def test_every_printed_value_is_what_the_code_computes(index):
    # given a vector as the document prints it
    vector = vectors()[index]
    # when its inputs go through workflows/draw.py
    expected = computed(vector)
    # then every input, intermediate value and output printed is the computed one
    assert vector == expected
    assert bytes.fromhex(vector["secret"]) == bytes(range(32))
    # and the seed message hashes to the seed, as section 2.4 says
    assert hashlib.sha256(vector["seed_message"].encode("utf-8")).hexdigest() == vector["seed"]
    # and the ranking is the pool ordered by the printed keys
    assert vector["ranking"] == sorted(vector["pool"], key=vector["keys"].__getitem__)


def test_the_first_vector_is_the_official_one():
    vector = vectors()[0]
    assert {name: vector[name] for name in OFFICIAL} == OFFICIAL


def test_the_example_proof_is_what_the_platform_publishes():
    proof = example_proof()
    names = [(member["uscc"], member["name"]) for member in proof["pool"]]
    built = draw.proof_build(OFFICIAL["project_code"], names, bytes(range(32)), OFFICIAL["beacon"])
    assert proof == built
    assert list(proof) == list(draw.FIELDS)
    assert draw.proof_verify(proof, expected_commitment=OFFICIAL["commitment"]).ok


def test_every_hash_in_the_document_is_a_checked_value():
    checked = set()
    for vector in vectors():
        expected = computed(vector)
        checked |= {expected["secret"], expected["pool_hash"], expected["commitment"], expected["seed"]}
        checked |= set(expected["keys"].values())
    printed = set(re.findall(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", spec_text()))
    assert printed and printed <= checked


def test_the_documented_constants_and_fields_are_the_code_s():
    text = spec_text()
    assert f"`{draw.VERSION}`" in text
    assert f"{draw.SECRET_BYTES} bytes" in text
    # the proof's field table lists exactly the fields proof_build writes, in its order
    fields = re.findall(r"^\| `(\w+)` \|", section("4. The proof"), flags=re.M)
    assert fields == list(draw.FIELDS)
    # the seed formula is the one seed() implements
    formula = '"zjcs-draw-v1" + "|" + project_code + "|" + pool_hash + "|" + hex(secret) + "|" + beacon'
    assert formula in section("2. The draw")


# --- the standalone verification code ----------------------------------------------------------------


def test_the_code_is_the_one_the_pages_show():
    shown = re.search(r"\{% verbatim %\}(.*?)\{% endverbatim %\}", HOWTO.read_text(encoding="utf-8"), re.S)
    assert shown is not None
    assert snippet().strip() == shown.group(1).strip()


def test_the_code_uses_the_standard_library_only():
    assert set(re.findall(r"^import (\w+)", snippet(), re.M)) == {"hashlib", "hmac", "json"}
    assert not re.search(r"^from ", snippet(), re.M)


def test_the_code_verifies_the_example_proof():
    verify = snippet_verify()
    text = json.dumps(example_proof(), ensure_ascii=False)
    assert verify(text, OFFICIAL["commitment"]) == OFFICIAL["ranking"]
    with pytest.raises(ValueError, match="commitment"):
        verify(text, "ab" * 32)


def test_the_code_agrees_with_the_implementation_on_fresh_draws():
    # given proofs built by workflows/draw.py over a larger pool, with and without a beacon
    verify = snippet_verify()
    usccs = [uscc_build(region_code="441302", org_code=org_code_for_serial(n, "DP")) for n in range(40)]
    for beacon in ("", "2026-11-20 福彩3D 第 2026312 期 5 8 1"):
        proof = draw.proof_build("ZJCS-2026-000456", [(u, f"机构{u}") for u in usccs], draw.secret_new(), beacon)
        text = json.dumps(proof, ensure_ascii=False)
        # then the document's code returns the same ranking
        assert verify(text, proof["commitment"]) == proof["ranking"]
        # and refuses the proof once any input changes
        for name, value in (("beacon", beacon + "x"), ("project_code", "ZJCS-2026-000457"), ("secret", "ff" * 32)):
            with pytest.raises(ValueError, match="does not hold"):
                verify(json.dumps({**proof, name: value}), proof["commitment"])


# --- the document as a page of the site --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, lang_attribute, title",
    [("zh-hans", "zh-CN", "随机抽取规范"), ("en", "en", "Verifiable draw specification")],
)
def test_the_spec_page_shows_the_document_in_either_language(client, language, lang_attribute, title):
    # given a reader who chose a language
    client.cookies["zjcs_language"] = language
    # when they open the specification
    response = client.get(reverse("draw-spec"))
    body = response.content.decode()
    # then the page is in their language and carries the whole document, test vector included
    assert response.status_code == 200
    assert f'<html lang="{lang_attribute}">' in body
    assert title in body
    for value in OFFICIAL["pool"] + [
        OFFICIAL["pool_hash"],
        OFFICIAL["commitment"],
        OFFICIAL["seed"],
        OFFICIAL["secret"],
    ]:
        assert value in body
    assert '<article class="panel" id="draw-spec" lang="en">' in body
    assert f'href="{reverse("draw-spec-text")}"' in body


@pytest.mark.django_db
def test_the_spec_page_shows_the_verification_code_as_it_runs(client):
    body = client.get(reverse("draw-spec")).content.decode()
    blocks = [
        html.unescape(block)
        for block in re.findall(r'<code class="mono" data-language="python">(.*?)</code>', body, re.S)
    ]
    assert snippet() in blocks


def test_the_raw_spec_is_the_repository_file(client):
    response = client.get(reverse("draw-spec-text"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.content == SPEC.read_bytes()


def test_the_spec_has_its_own_address():
    # "spec" is never taken for a project code by draws/<code>/
    assert reverse("draw-spec") == "/draws/spec/"
    assert resolve("/draws/spec/").url_name == "draw-spec"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_verify_page_links_to_the_spec(client, language):
    client.cookies["zjcs_language"] = language
    body = client.get(reverse("draw-verify")).content.decode()
    assert f'href="{reverse("draw-spec")}"' in body
    assert 'data-testid="draw-spec-link"' in body  # and the "verify it yourself" panel too


@pytest.mark.django_db
def test_a_draw_page_links_to_the_spec(client):
    project = Project.objects.create(
        code="ZJCS-2026-000321",
        buyer=BuyerUnitFactory(),
        created_by=UserFactory(),
        state="open",
        name="惠城区旧城改造房地产估价服务",
        category=leaf_category("VAL-RE"),
        content="对改造范围内房屋进行市场价值评估。",
        budget=Decimal("180000.00"),
        quote_floor=Decimal("120000.00"),
        quote_ceiling=Decimal("180000.00"),
        method=Project.Method.DRAW,
        draw_secret="00" * 32,
        draw_commitment=draw.commitment(bytes(32)),
    )
    body = client.get(reverse("draw-proof", args=[project.code])).content.decode()
    assert body.count(f'href="{reverse("draw-spec")}"') == 2  # under the page and in "verify it yourself"


# --- the Markdown subset the page is rendered with ---------------------------------------------------


def test_markdown_subset_escapes_everything_and_keeps_code_exact():
    text = "\n".join(
        [
            "# Title <b>",
            "",
            'Text with `a < b` and **bold** and <script>alert("x")</script>',
            "continued.",
            "",
            "- one `**not bold**`",
            "  continued",
            "- two",
            "",
            "1. first",
            "2. second",
            "",
            "| a | b |",
            "|---|---|",
            "| `x` | <i> |",
            "",
            "```python",
            'print("<&>")',
            "    indented",
            "```",
        ]
    )
    out = markdown_html(text, shift=1)
    assert '<h2 id="title-b">Title &lt;b&gt;</h2>' in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert '<p>Text with <code class="mono">a &lt; b</code> and <strong>bold</strong>' in out
    assert "continued.</p>" in out
    assert '<ul><li>one <code class="mono">**not bold**</code> continued</li><li>two</li></ul>' in out
    assert "<ol><li>first</li><li>second</li></ol>" in out
    assert '<th scope="col">a</th><th scope="col">b</th>' in out
    assert '<tr><td><code class="mono">x</code></td><td>&lt;i&gt;</td></tr>' in out
    code = re.search(r'<code class="mono" data-language="python">(.*?)</code>', out, re.S)
    assert code is not None and html.unescape(code.group(1)) == 'print("<&>")\n    indented\n'
