"""The verifiable draw, version 1 (docs/draw.md): test vector, proofs, tampering, pages and the command."""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import inspect
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.validators import org_code_for_serial, uscc_build
from tests.factories import AgencyFactory, stored_draw_project
from workflows import draw
from workflows.models import Project

ROOT = Path(__file__).resolve().parents[2]

# The official test vector (docs/draw.md, section 7, vector 1).
VECTOR_CODE = "ZJCS-2026-000123"
VECTOR_POOL = ["91441300MA4W12345R", "91441300MA4W23456J", "91441300MA4W34567B"]
VECTOR_SECRET = bytes(range(32))
VECTOR_POOL_HASH = "1b53f4d276dd96019697ad6fb38e9b75851f7ca72d94b809c82f3cc863629bcd"
VECTOR_COMMITMENT = "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
VECTOR_SEED = "feb142212559aa699015118d10d25a87e96fefc7912529c9bc14b23eaa0a7f65"
VECTOR_RANKING = ["91441300MA4W12345R", "91441300MA4W34567B", "91441300MA4W23456J"]
VECTOR_NAMES = {
    "91441300MA4W12345R": "惠州市德正资产评估有限公司",
    "91441300MA4W23456J": "惠州市衡信房地产估价有限公司",
    "91441300MA4W34567B": "惠州市鹏程土地估价有限公司",
}


def vector_proof() -> dict:
    return draw.proof_build(VECTOR_CODE, list(VECTOR_NAMES.items()), VECTOR_SECRET)


def valid_usccs(serials) -> list[str]:
    return [uscc_build(region_code="441302", org_code=org_code_for_serial(n, "DR")) for n in serials]


# --- the independent check: only the JSON text, hashlib and hmac (the page shows this very code) -------


def verify(text, announced_commitment):
    """Return the ranking if the draw proof holds; raise ValueError naming every failed check."""
    p = json.loads(text)
    secret = bytes.fromhex(p["secret"])
    usccs = sorted(member["uscc"] for member in p["pool"])
    pool_hash = hashlib.sha256("\n".join(usccs).encode()).hexdigest()
    message = "|".join(["zjcs-draw-v1", p["project_code"], pool_hash, p["secret"], p["beacon"]])
    seed = hashlib.sha256(message.encode()).digest()
    ranking = sorted(usccs, key=lambda uscc: hmac.new(seed, uscc.encode(), hashlib.sha256).hexdigest())
    checks = {
        "version": p["version"] == "zjcs-draw-v1",
        "commitment": hashlib.sha256(secret).hexdigest() == p["commitment"] == announced_commitment,
        "pool_hash": pool_hash == p["pool_hash"],
        "seed": seed.hex() == p["seed"],
        "ranking": ranking == p["ranking"],
    }
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise ValueError("draw proof does not hold: " + ", ".join(failed))
    return ranking


SNIPPET = "import hashlib\nimport hmac\nimport json\n\n\n" + inspect.getsource(verify)


# --- test vector -------------------------------------------------------------------------------------


def test_design_test_vector():
    # given the inputs of the official test vector
    # when each step is computed
    digest = draw.pool_hash(VECTOR_POOL)
    the_seed = draw.seed(VECTOR_CODE, digest, VECTOR_SECRET, "")
    # then every value matches the published vector
    assert digest == VECTOR_POOL_HASH
    assert draw.commitment(VECTOR_SECRET) == VECTOR_COMMITMENT
    assert the_seed.hex() == VECTOR_SEED
    assert len(the_seed) == 32
    assert draw.ranking(the_seed, VECTOR_POOL) == VECTOR_RANKING


def test_design_test_vector_through_proof_build():
    proof = vector_proof()
    assert list(proof) == list(draw.FIELDS)
    assert proof["version"] == "zjcs-draw-v1" == draw.VERSION
    assert proof["pool_hash"] == VECTOR_POOL_HASH
    assert proof["commitment"] == VECTOR_COMMITMENT
    assert proof["secret"] == VECTOR_SECRET.hex()
    assert proof["beacon"] == ""
    assert proof["seed"] == VECTOR_SEED
    assert proof["ranking"] == VECTOR_RANKING
    assert proof["pool"] == [{"uscc": u, "name": VECTOR_NAMES[u]} for u in sorted(VECTOR_POOL)]


def test_key_is_hmac_sha256_of_the_uscc_under_the_seed():
    the_seed = bytes.fromhex(VECTOR_SEED)
    keys = [draw.key(the_seed, uscc) for uscc in VECTOR_RANKING]
    assert keys == sorted(keys)
    assert keys[0] == hmac.new(the_seed, VECTOR_RANKING[0].encode(), hashlib.sha256).hexdigest()


def test_pool_hash_is_order_independent_with_no_trailing_newline():
    assert draw.pool_hash(reversed(VECTOR_POOL)) == VECTOR_POOL_HASH
    assert draw.pool_hash(VECTOR_POOL) != hashlib.sha256(("\n".join(VECTOR_POOL) + "\n").encode()).hexdigest()


def test_secret_new_is_32_fresh_bytes():
    first, second = draw.secret_new(), draw.secret_new()
    assert len(first) == 32 and first != second


def test_beacon_changes_the_seed():
    assert draw.seed(VECTOR_CODE, VECTOR_POOL_HASH, VECTOR_SECRET, "2026-05-01 双色球 03 07 12") != bytes.fromhex(
        VECTOR_SEED
    )


@pytest.mark.parametrize(
    "pool, secret, message",
    [
        ([], VECTOR_SECRET, "empty"),
        ([("91441300MA4W12345R", "甲"), ("91441300MA4W12345R", "乙")], VECTOR_SECRET, "twice"),
        ([("91441300MA4W12345R", "甲")], b"short", "32 bytes"),
    ],
)
def test_proof_build_refuses_a_bad_pool_or_secret(pool, secret, message):
    with pytest.raises(ValueError, match=message):
        draw.proof_build(VECTOR_CODE, pool, secret)


# --- proof_verify ------------------------------------------------------------------------------------


def test_round_trip_verifies_and_reports_every_check():
    proof = draw.proof_build(VECTOR_CODE, list(VECTOR_NAMES.items()), draw.secret_new(), beacon="彩票 2026-05-01")
    result = draw.proof_verify(proof, expected_commitment=proof["commitment"], expected_project_code=VECTOR_CODE)
    assert result.ok, result.problems
    assert result.problems == []
    assert [c.code for c in result.checks] == [
        "version",
        "format",
        "commitment",
        "announced",
        "project",
        "pool_hash",
        "seed",
        "ranking",
    ]
    assert all(c.ok for c in result.checks)
    assert result.ranking == proof["ranking"]


def test_round_trip_survives_json_text():
    proof = vector_proof()
    text = json.dumps(proof, ensure_ascii=False)
    assert draw.proof_verify(json.loads(text), VECTOR_COMMITMENT).ok


def _swap_member(p):
    p["pool"][1] = {"uscc": valid_usccs([7])[0], "name": p["pool"][1]["name"]}


def _new_secret(p):
    p["secret"] = "ff" * 32


def _new_secret_and_commitment(p):
    p["secret"] = "ff" * 32
    p["commitment"] = hashlib.sha256(bytes.fromhex(p["secret"])).hexdigest()


def _reorder(p):
    p["ranking"] = list(reversed(p["ranking"]))


def _beacon(p):
    p["beacon"] = "late beacon"


def _version(p):
    p["version"] = "zjcs-draw-v2"


def _seed(p):
    p["seed"] = "0" * 64


def _pool_hash(p):
    p["pool_hash"] = "0" * 64


def _code(p):
    p["project_code"] = "ZJCS-2026-000124"


def _drop_member(p):
    p["pool"].pop()
    p["ranking"].remove(p["ranking"][-1])


@pytest.mark.parametrize(
    "tamper, problem",
    [
        (_swap_member, "奖池哈希不符"),
        (_drop_member, "奖池哈希不符"),
        (_new_secret, "秘密值与承诺值不符"),
        (_new_secret_and_commitment, "承诺值与公告不一致"),
        (_reorder, "排序不符"),
        (_beacon, "种子不符"),
        (_seed, "种子不符"),
        (_pool_hash, "奖池哈希不符"),
        (_code, "种子不符"),
        (_version, "版本未知"),
    ],
)
def test_tampering_with_any_field_is_detected(tamper, problem):
    # given a valid proof
    proof = vector_proof()
    # when one field is changed
    tamper(proof)
    result = draw.proof_verify(proof, expected_commitment=VECTOR_COMMITMENT)
    # then verification fails, naming what broke
    assert not result.ok
    assert any(problem in p for p in result.problems), result.problems
    assert not all(c.ok for c in result.checks)
    # and the independent check agrees
    with pytest.raises(ValueError, match="does not hold"):
        verify(json.dumps(proof), VECTOR_COMMITMENT)


def test_commitment_mismatch_with_the_announcement():
    proof = vector_proof()
    result = draw.proof_verify(proof, expected_commitment="ab" * 32)
    assert not result.ok
    assert result.problems == ["承诺值与公告不一致"]
    # without the announcement's value the proof is self-consistent
    assert draw.proof_verify(proof).ok


def test_project_code_and_beacon_held_to_the_announcement():
    proof = vector_proof()
    result = draw.proof_verify(proof, expected_project_code="ZJCS-2026-000999", expected_beacon="x")
    assert result.problems == ["项目编号与本项目不一致", "信标与公告不一致"]


@pytest.mark.parametrize(
    "mangle, problem",
    [
        (lambda p: p.pop("seed"), "缺少字段 seed"),
        (lambda p: p.update(secret="ZZ" * 32), "字段 secret 应为 64 位小写十六进制"),
        (lambda p: p.update(commitment=p["commitment"].upper()), "字段 commitment 应为 64 位小写十六进制"),
        (lambda p: p.update(pool=[]), "奖池应为非空列表"),
        (lambda p: p["pool"].append(dict(p["pool"][0])), "重复的机构"),
        (lambda p: p["pool"][0].update(uscc="91441300MA4W12345A"), "统一社会信用代码无效"),
        (lambda p: p["pool"][0].pop("name"), "应含 uscc 与 name"),
        (lambda p: p.update(ranking="91441300MA4W12345R"), "排序应为统一社会信用代码的列表"),
        (lambda p: p.update(beacon=None), "字段 beacon 应为字符串"),
        (lambda p: p.update(project_code=""), "项目编号为空"),
    ],
)
def test_malformed_proofs_are_refused_with_a_reason(mangle, problem):
    proof = vector_proof()
    mangle(proof)
    result = draw.proof_verify(proof)
    assert not result.ok
    assert any(problem in p for p in result.problems), result.problems
    assert result.ranking == []


@pytest.mark.parametrize("value", [None, [], "text", 3])
def test_a_proof_that_is_not_an_object_is_refused(value):
    result = draw.proof_verify(value)
    assert not result.ok
    assert result.problems == ["证明格式有误：应为 JSON 对象。"]


# --- the independent check ---------------------------------------------------------------------------


def test_independent_check_on_the_design_vector():
    text = json.dumps(vector_proof(), ensure_ascii=False)
    assert verify(text, VECTOR_COMMITMENT) == VECTOR_RANKING


def test_independent_check_refuses_a_different_announcement():
    with pytest.raises(ValueError, match="commitment"):
        verify(json.dumps(vector_proof()), "ab" * 32)


def test_independent_check_agrees_with_proof_build_on_a_large_pool():
    proof = draw.proof_build("ZJCS-2026-000777", [(u, f"机构{u}") for u in valid_usccs(range(200))], draw.secret_new())
    assert verify(json.dumps(proof), proof["commitment"]) == proof["ranking"]


# --- hypothesis: the ranking is a permutation of the pool, whatever order the pool came in -------------


@settings(max_examples=60, deadline=None)
@given(
    serials=st.lists(st.integers(min_value=0, max_value=31**7 - 1), min_size=1, max_size=40, unique=True),
    secret=st.binary(min_size=32, max_size=32),
    beacon=st.text(max_size=30),
    shuffle=st.randoms(use_true_random=False),
)
def test_ranking_is_a_permutation_independent_of_input_order(serials, secret, beacon, shuffle):
    pool = [(uscc, f"机构{i}") for i, uscc in enumerate(valid_usccs(serials))]
    shuffled = list(pool)
    shuffle.shuffle(shuffled)
    proof = draw.proof_build("ZJCS-2026-000001", pool, secret, beacon)
    again = draw.proof_build("ZJCS-2026-000001", shuffled, secret, beacon)
    assert sorted(proof["ranking"]) == sorted(uscc for uscc, _ in pool)
    assert len(set(proof["ranking"])) == len(pool)
    assert again == proof
    assert draw.proof_verify(proof, proof["commitment"]).ok
    assert verify(json.dumps(proof), proof["commitment"]) == proof["ranking"]


# --- pages -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_json_endpoint_serves_the_proof_as_stored(client):
    project = stored_draw_project()
    response = client.get(reverse("draw-proof-json", args=[project.code]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == project.draw_proof
    body = response.content.decode("utf-8")
    assert project.draw_proof["pool"][0]["name"] in body  # ensure_ascii=False: names stay readable
    stored = Project.objects.get(pk=project.pk).draw_proof  # PostgreSQL's jsonb keeps its own key order
    assert body == json.dumps(stored, ensure_ascii=False, indent=2)
    assert verify(body, project.draw_commitment) == project.draw_proof["ranking"]


@pytest.mark.django_db
def test_json_endpoint_404_without_a_proof(client):
    project = stored_draw_project(state="open", proof=False)
    assert client.get(reverse("draw-proof-json", args=[project.code])).status_code == 404
    assert client.get(reverse("draw-proof-json", args=["ZJCS-NO-SUCH"])).status_code == 404


@pytest.mark.django_db
def test_draw_page_shows_the_draw_and_the_server_check(client):
    # given an awarded draw project over three real agencies
    agencies = [AgencyFactory() for _ in range(3)]
    project = stored_draw_project(agencies=agencies, beacon="2026-05-01 开奖号码 03 07 12 19 25 31")
    proof = project.draw_proof
    # when anyone (no login) opens its draw page
    response = client.get(reverse("draw-proof", args=[project.code]))
    body = response.content.decode()
    # then it shows the announcement's commitment, the beacon, the pool, the hashes and the ranking
    assert response.status_code == 200
    for value in (project.code, project.name, project.draw_commitment, proof["pool_hash"], proof["secret"]):
        assert value in body
    assert proof["seed"] in body and project.draw_beacon in body
    ranked_usccs = re.findall(r'<tr data-uscc="([^"]+)">', body.split('data-role="server-ranking"')[1])
    assert ranked_usccs == proof["ranking"]
    winner = next(a for a in agencies if a.uscc == proof["ranking"][0])
    assert f"<strong>{winner.name}</strong>" in body
    assert "备选 1" in body and "备选 2" in body
    assert 'data-server-result="ok"' in body
    assert [c.code for c in response.context["result"].checks if c.ok] == [
        "version",
        "format",
        "commitment",
        "announced",
        "project",
        "beacon",
        "pool_hash",
        "seed",
        "ranking",
    ]
    # and the in-browser check is wired to the JSON, with no external script
    assert f'data-proof-url="{reverse("draw-proof-json", args=[project.code])}"' in body
    assert "/static/js/draw_verify.js" in body
    assert not re.search(r'<script[^>]+src="https?://', body)
    # and no natural person's data is shown
    for agency in agencies:
        for private in (agency.contact_name, agency.contact_phone, agency.legal_representative):
            assert private not in body


@pytest.mark.django_db
def test_draw_page_reports_a_tampered_stored_proof(client):
    project = stored_draw_project()
    proof = copy.deepcopy(project.draw_proof)
    _reorder(proof)
    Project.objects.filter(pk=project.pk).update(draw_proof=proof)
    body = client.get(reverse("draw-proof", args=[project.code])).content.decode()
    assert 'data-server-result="bad"' in body
    assert "排序不符" in body
    assert "按证明重新计算的排序" in body


@pytest.mark.django_db
def test_draw_page_before_the_draw_shows_the_commitment_only(client):
    project = stored_draw_project(state="open", proof=False)
    response = client.get(reverse("draw-proof", args=[project.code]))
    body = response.content.decode()
    assert response.status_code == 200
    assert project.draw_commitment in body
    assert "抽取在报名截止时进行" in body
    assert project.draw_secret not in body  # the secret stays hidden until the draw
    assert "draw-browser-check" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["draft", "pending_review", "returned"])
def test_unpublished_projects_have_no_draw_page(client, state):
    project = stored_draw_project(state=state, proof=False)
    assert client.get(reverse("draw-proof", args=[project.code])).status_code == 404


@pytest.mark.django_db
def test_project_without_a_draw_has_no_draw_page(client):
    project = stored_draw_project(proof=False)
    Project.objects.filter(pk=project.pk).update(draw_commitment="", method=Project.Method.PRICE)
    assert client.get(reverse("draw-proof", args=[project.code])).status_code == 404


@pytest.mark.django_db
def test_draw_page_query_count_does_not_grow_with_the_pool(client, django_assert_num_queries):
    small = stored_draw_project(code="ZJCS-2026-000001", agencies=[AgencyFactory()])
    large = stored_draw_project(code="ZJCS-2026-000050", agencies=[AgencyFactory() for _ in range(50)])
    with django_assert_num_queries(1):
        assert client.get(reverse("draw-proof", args=[small.code])).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(reverse("draw-proof", args=[large.code])).status_code == 200


@pytest.mark.django_db
def test_page_shows_exactly_the_code_this_test_runs(client):
    # given the draw page
    project = stored_draw_project()
    body = client.get(reverse("draw-proof", args=[project.code])).content.decode()
    # when the "verify it yourself" code is taken from it
    shown = html.unescape(re.search(r'<code id="verify-snippet"[^>]*>(.*?)</code>', body, re.S).group(1))
    # then it is this module's independent check, word for word
    assert shown.strip() == SNIPPET.strip()
    # and running it as shown, against the published JSON, gives the ranking (and refuses a tampered copy)
    namespace: dict = {}
    exec(compile(shown, "verify_draw.py", "exec"), namespace)  # the page's code, run as a reader would
    text = client.get(reverse("draw-proof-json", args=[project.code])).content.decode()
    assert namespace["verify"](text, project.draw_commitment) == project.draw_proof["ranking"]
    tampered = json.loads(text)
    _beacon(tampered)
    with pytest.raises(ValueError, match="seed"):
        namespace["verify"](json.dumps(tampered), project.draw_commitment)
    assert set(re.findall(r"^import (\w+)", shown, re.M)) == {"hashlib", "hmac", "json"}


@pytest.mark.django_db
def test_page_in_english(client):
    project = stored_draw_project()
    client.cookies["zjcs_language"] = "en"
    response = client.get(reverse("draw-proof", args=[project.code]))
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


# --- the paste-in verifier ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_page_get(client):
    response = client.get(reverse("draw-verify"))
    assert response.status_code == 200
    assert 'name="proof_text"' in response.content.decode()


@pytest.mark.django_db
def test_verify_page_accepts_a_valid_pasted_proof(client):
    text = json.dumps(vector_proof(), ensure_ascii=False)
    response = client.post(reverse("draw-verify"), {"proof_text": text, "commitment": VECTOR_COMMITMENT.upper()})
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["result"].ok
    assert 'data-server-result="ok"' in body
    assert 'id="draw-proof-data"' in body and f'data-announced="{VECTOR_COMMITMENT}"' in body
    assert VECTOR_NAMES[VECTOR_RANKING[0]] in body


@pytest.mark.django_db
def test_verify_page_reports_a_tampered_proof(client):
    proof = vector_proof()
    _swap_member(proof)
    response = client.post(reverse("draw-verify"), {"proof_text": json.dumps(proof)})
    assert not response.context["result"].ok
    assert "奖池哈希不符" in response.content.decode()


@pytest.mark.django_db
def test_verify_page_checks_the_announced_commitment(client):
    response = client.post(reverse("draw-verify"), {"proof_text": json.dumps(vector_proof()), "commitment": "ab" * 32})
    assert "承诺值与公告不一致" in response.content.decode()


@pytest.mark.django_db
def test_verify_page_accepts_an_uploaded_file(client):
    upload = SimpleUploadedFile(
        "proof.json", json.dumps(vector_proof(), ensure_ascii=False).encode("utf-8"), "application/json"
    )
    response = client.post(reverse("draw-verify"), {"proof_file": upload})
    assert response.context["result"].ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "二者选一"),
        ({"proof_text": "{not json"}, "不是有效的 JSON"),
        ({"proof_text": "{}", "commitment": "xyz"}, "64 位十六进制"),
        ({"proof_text": "[1, 2]"}, "应为 JSON 对象"),
        ({"proof_text": '{"version": "zjcs-draw-v9"}'}, "版本未知"),
    ],
)
def test_verify_page_explains_bad_input(client, data, message):
    response = client.post(reverse("draw-verify"), data)
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.django_db
def test_verify_page_refuses_a_file_that_is_not_text(client):
    upload = SimpleUploadedFile("proof.json", b"\xff\xfe\x00\x81binary", "application/json")
    response = client.post(reverse("draw-verify"), {"proof_file": upload})
    assert "不是 UTF-8" in response.content.decode()


# --- the command -------------------------------------------------------------------------------------


def test_command_with_a_valid_file_exits_zero(tmp_path):
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(vector_proof(), ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("verify_draw", file=str(path), commitment=VECTOR_COMMITMENT, stdout=out)
    text = out.getvalue()
    assert "✓ 奖池哈希" in text and "✓ 种子" in text and "✓ 抽取排序" in text and "✓ 承诺值与公告一致" in text
    assert f"1. {VECTOR_RANKING[0]}  {VECTOR_NAMES[VECTOR_RANKING[0]]}  (中选)" in text
    assert f"3. {VECTOR_RANKING[2]}  {VECTOR_NAMES[VECTOR_RANKING[2]]}  (备选 2)" in text
    assert "验证通过" in text


def test_command_with_a_tampered_file_exits_one(tmp_path):
    proof = vector_proof()
    _reorder(proof)
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof), encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("verify_draw", file=str(path), stdout=out)
    assert raised.value.returncode == 1
    assert "排序不符" in str(raised.value)
    assert "✗ 抽取排序" in out.getvalue()


def test_command_refuses_unreadable_files(tmp_path):
    path = tmp_path / "proof.json"
    path.write_text("{broken", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 UTF-8 JSON"):
        call_command("verify_draw", file=str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("verify_draw", file=str(tmp_path / "missing.json"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="二者选一"):
        call_command("verify_draw", stdout=io.StringIO())


@pytest.mark.django_db
def test_command_with_a_project_code():
    project = stored_draw_project()
    out = io.StringIO()
    call_command("verify_draw", project.code, stdout=out)
    assert "✓ 承诺值与公告一致" in out.getvalue() and "✓ 项目编号一致" in out.getvalue()
    assert project.draw_proof["pool"][0]["name"] in out.getvalue()


@pytest.mark.django_db
def test_command_with_a_project_whose_announcement_differs_exits_one():
    project = stored_draw_project()
    Project.objects.filter(pk=project.pk).update(draw_commitment="ab" * 32)
    with pytest.raises(CommandError) as raised:
        call_command("verify_draw", project.code, stdout=io.StringIO())
    assert raised.value.returncode == 1
    assert "承诺值与公告不一致" in str(raised.value)


@pytest.mark.django_db
def test_command_with_an_unknown_project_or_no_proof():
    with pytest.raises(CommandError, match="找不到项目"):
        call_command("verify_draw", "ZJCS-NO-SUCH", stdout=io.StringIO())
    project = stored_draw_project(state="open", proof=False)
    with pytest.raises(CommandError, match="尚无抽取证明"):
        call_command("verify_draw", project.code, stdout=io.StringIO())


def test_manage_py_exits_one_for_a_tampered_download(tmp_path):
    # given a tampered proof file (valid files are covered through call_command above)
    tampered = vector_proof()
    _new_secret(tampered)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(tampered), encoding="utf-8")
    # when a reader runs python manage.py verify_draw --file on it
    done = subprocess.run(
        [sys.executable, "manage.py", "verify_draw", "--file", str(path)],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then the process exits 1, saying what failed
    assert done.returncode == 1, done.stderr
    assert "✗ 秘密值与承诺值相符" in done.stdout
    assert "秘密值与承诺值不符" in done.stderr
