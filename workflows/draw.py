"""The publicly verifiable draw, version 1, as docs/draw.md specifies it: pure functions, no database.

A draw is fixed by four public inputs and one committed secret:

1. at publication the platform draws ``secret`` (32 bytes) and announces ``commitment = sha256(secret)``;
2. at sign-up close the eligible pool is frozen: ``pool_hash = sha256("\\n".join(sorted(usccs)))``;
3. ``seed = sha256("zjcs-draw-v1|" + project_code + "|" + pool_hash + "|" + hex(secret) + "|" + beacon)``;
4. each agency's key is ``hmac_sha256(seed, uscc)`` in hex; the ranking is the pool by key ascending.

The proof (``proof_build``) carries every input and output, so anyone can recompute it
(``proof_verify`` here, ``static/js/draw_verify.js`` in the browser, or a dozen lines of Python).
The secret is committed before anyone can sign up and revealed only after the pool is frozen, so
neither the platform (bound by the commitment) nor an agency (unaware of the secret) can steer the
result. Python's ``random`` is never used.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from marketplace.validators import uscc_problem

VERSION = "zjcs-draw-v1"
SECRET_BYTES = 32
FIELDS = ("version", "project_code", "pool", "pool_hash", "commitment", "secret", "beacon", "seed", "ranking")
HEX64 = re.compile(r"[0-9a-f]{64}")


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def secret_new() -> bytes:
    """Draw the 32 secret bytes committed to when the project is published."""
    return secrets.token_bytes(SECRET_BYTES)


def commitment(secret: bytes) -> str:
    """The value published in the announcement: hex(sha256(secret))."""
    return hashlib.sha256(secret).hexdigest()


def pool_hash(usccs: Iterable[str]) -> str:
    """Fingerprint of the frozen pool: USCCs sorted ascending, joined by newlines (none trailing)."""
    return _sha256_hex("\n".join(sorted(usccs)))


def seed(project_code: str, pool_hash: str, secret: bytes, beacon: str = "") -> bytes:
    """The 32-byte seed that keys every agency's HMAC."""
    message = "|".join([VERSION, project_code, pool_hash, secret.hex(), beacon])
    return hashlib.sha256(message.encode("utf-8")).digest()


def key(seed: bytes, uscc: str) -> str:
    """An agency's draw key: hex(hmac_sha256(key=seed, msg=uscc))."""
    return hmac.digest(seed, uscc.encode("utf-8"), "sha256").hex()


def ranking(seed: bytes, usccs: Iterable[str]) -> list[str]:
    """The pool ordered by key ascending; first place wins, the rest are alternates in order.

    Equal keys would need a SHA-256 collision; should it ever happen the USCC decides, so the
    order never depends on how the pool was listed.
    """
    return sorted(usccs, key=lambda uscc: (key(seed, uscc), uscc))


def proof_build(project_code: str, pool: Iterable[tuple[str, str]], secret: bytes, beacon: str = "") -> dict:
    """Run the draw over the frozen pool of (USCC, organisation name) and return its public proof."""
    members = sorted(pool)
    usccs = [uscc for uscc, _name in members]
    if not usccs:
        raise ValueError("the draw pool is empty")
    if len(set(usccs)) != len(usccs):
        raise ValueError("the draw pool lists an agency twice")
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"the secret must be {SECRET_BYTES} bytes")
    digest = pool_hash(usccs)
    the_seed = seed(project_code, digest, secret, beacon)
    return {
        "version": VERSION,
        "project_code": project_code,
        "pool": [{"uscc": uscc, "name": name} for uscc, name in members],
        "pool_hash": digest,
        "commitment": commitment(secret),
        "secret": secret.hex(),
        "beacon": beacon,
        "seed": the_seed.hex(),
        "ranking": ranking(the_seed, usccs),
    }


@dataclass(frozen=True)
class Check:
    """One recomputation, as shown by the command and the pages (``code`` is stable, ``label`` translated)."""

    code: str
    label: str
    ok: bool


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of re-verifying a proof: every check made, the problems found and the recomputed ranking."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    ranking: list[str] = field(default_factory=list)


def _shape_problems(proof: Any) -> list[str]:
    """Say what makes the proof unreadable (missing or malformed fields); empty when it can be recomputed."""
    if not isinstance(proof, Mapping):
        return [_("证明格式有误：应为 JSON 对象。")]
    problems = []
    missing = [name for name in FIELDS if name not in proof]
    if missing:
        problems.append(_("证明格式有误：缺少字段 %(fields)s。") % {"fields": "、".join(missing)})
    for name in ("project_code", "beacon"):
        if name in proof and not isinstance(proof[name], str):
            problems.append(_("证明格式有误：字段 %(field)s 应为字符串。") % {"field": name})
    if isinstance(proof.get("project_code"), str) and not proof["project_code"]:
        problems.append(_("证明格式有误：项目编号为空。"))
    for name in ("pool_hash", "commitment", "secret", "seed"):
        if name in proof and not (isinstance(proof[name], str) and HEX64.fullmatch(proof[name])):
            problems.append(_("证明格式有误：字段 %(field)s 应为 64 位小写十六进制。") % {"field": name})
    pool = proof.get("pool")
    if "pool" in proof:
        if not isinstance(pool, list) or not pool:
            problems.append(_("证明格式有误：奖池应为非空列表。"))
        else:
            for index, member in enumerate(pool, start=1):
                if not (
                    isinstance(member, Mapping)
                    and isinstance(member.get("uscc"), str)
                    and isinstance(member.get("name"), str)
                ):
                    problems.append(_("证明格式有误：奖池第 %(n)d 项应含 uscc 与 name 两个字符串。") % {"n": index})
                elif uscc_problem(member["uscc"]):
                    problems.append(
                        _("奖池第 %(n)d 项的统一社会信用代码无效：%(uscc)s。") % {"n": index, "uscc": member["uscc"]}
                    )
            usccs = [m["uscc"] for m in pool if isinstance(m, Mapping) and isinstance(m.get("uscc"), str)]
            if len(set(usccs)) != len(usccs):
                problems.append(_("证明格式有误：奖池中有重复的机构。"))
    ranking_ = proof.get("ranking")
    if "ranking" in proof and not (isinstance(ranking_, list) and all(isinstance(u, str) for u in ranking_)):
        problems.append(_("证明格式有误：排序应为统一社会信用代码的列表。"))
    return problems


def proof_verify(
    proof: Any,
    expected_commitment: str | None = None,
    *,
    expected_project_code: str | None = None,
    expected_beacon: str | None = None,
) -> VerifyResult:
    """Recompute a proof from its own fields; optionally hold it to what the announcement published."""
    if isinstance(proof, Mapping) and "version" in proof and proof["version"] != VERSION:
        problem = _("版本未知：%(version)s（本平台只验证 %(known)s）。") % {
            "version": proof.get("version"),
            "known": VERSION,
        }
        return VerifyResult(ok=False, problems=[problem], checks=[Check("version", _("证明版本"), False)])
    shape = _shape_problems(proof)
    if shape:
        return VerifyResult(ok=False, problems=shape, checks=[Check("format", _("证明格式"), False)])

    checks = [Check("version", _("证明版本"), True), Check("format", _("证明格式"), True)]
    problems: list[str] = []

    def record(code: str, label: str, ok: bool, problem: str) -> None:
        checks.append(Check(code, label, ok))
        if not ok:
            problems.append(problem)

    secret = bytes.fromhex(proof["secret"])
    record("commitment", _("秘密值与承诺值相符"), commitment(secret) == proof["commitment"], _("秘密值与承诺值不符"))
    if expected_commitment is not None:
        record(
            "announced",
            _("承诺值与公告一致"),
            proof["commitment"] == expected_commitment,
            _("承诺值与公告不一致"),
        )
    if expected_project_code is not None:
        record(
            "project",
            _("项目编号一致"),
            proof["project_code"] == expected_project_code,
            _("项目编号与本项目不一致"),
        )
    if expected_beacon is not None:
        record("beacon", _("信标与公告一致"), proof["beacon"] == expected_beacon, _("信标与公告不一致"))
    usccs = [member["uscc"] for member in proof["pool"]]
    digest = pool_hash(usccs)
    record("pool_hash", _("奖池哈希"), digest == proof["pool_hash"], _("奖池哈希不符"))
    # The seed is recomputed from the pool itself, not from the claimed hash: nothing is taken on trust.
    the_seed = seed(proof["project_code"], digest, secret, proof["beacon"])
    record("seed", _("种子"), the_seed.hex() == proof["seed"], _("种子不符"))
    recomputed = ranking(the_seed, usccs)
    record("ranking", _("抽取排序"), recomputed == proof["ranking"], _("排序不符"))
    return VerifyResult(ok=not problems, problems=problems, checks=checks, ranking=recomputed)
