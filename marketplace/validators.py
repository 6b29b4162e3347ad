"""Validators for identifiers and uploads that every app shares."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the code alphabet leaves out I, O, S, V and Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# First character: the registering authority; second: the kind of organisation within it.
USCC_AUTHORITIES = set("123456789ANY")


def uscc_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a USCC."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """Say what is wrong with a unified social credit code (统一社会信用代码), or None if valid."""
    if len(value) != 18:
        return str(_("统一社会信用代码应为 18 位，当前为 %(n)d 位。") % {"n": len(value)})
    bad = sorted({c for c in value if c not in USCC_ALPHABET})
    if bad:
        return str(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z 和小写字母）。")
            % {"chars": "、".join(bad)}
        )
    if value[0] not in USCC_AUTHORITIES:
        return str(_("统一社会信用代码第 1 位（登记管理部门代码）无效。"))
    if not value[2:8].isdigit():
        return str(_("统一社会信用代码第 3–8 位应为行政区划代码（6 位数字）。"))
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        return str(_("统一社会信用代码校验位错误：请核对后重新输入（按 GB 32100-2015 计算不符）。"))
    return None


def normalise_uscc(value: str) -> str:
    """Strip spaces and upper-case a code as typed by a person."""
    return "".join(value.split()).upper()


def validate_uscc(value: str) -> None:
    """Model and form validator for a USCC."""
    problem = uscc_problem(value or "")
    if problem:
        raise ValidationError(problem, code="invalid_uscc")


# The first bytes of the file formats accepted for scanned documents.
_MAGIC = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}


def validate_document_upload(upload) -> None:
    """Accept PDF, PNG and JPEG scans within the size limit; check the content, not just the name."""
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("文件过大：%(size).1f MB，上限为 %(limit).1f MB。")
            % {"size": upload.size / 1048576, "limit": limit / 1048576},
            code="too_large",
        )
    name = (upload.name or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext not in _MAGIC:
        raise ValidationError(_("只接受 PDF、PNG 或 JPG 文件。"), code="bad_type")
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(m) for m in _MAGIC[ext]):
        raise ValidationError(
            _("文件内容与扩展名不符或文件已损坏：请上传真实的 PDF、PNG 或 JPG 文件。"), code="bad_content"
        )


def uscc_build(*, authority: str = "9", kind: str = "1", region_code: str, org_code: str) -> str:
    """Assemble a valid USCC from its parts (used by seeding and tests); ``org_code`` is 9 characters."""
    first17 = f"{authority}{kind}{region_code}{org_code}"
    if len(first17) != 17:
        raise ValueError("USCC parts must make 17 characters")
    return first17 + uscc_check_character(first17)


def org_code_for_serial(serial: int, prefix: str = "MA") -> str:
    """A 9-character organisation code from a serial number, in the USCC alphabet."""
    base = len(USCC_ALPHABET)
    digits = []
    n = serial
    for _position in range(9 - len(prefix)):
        n, r = divmod(n, base)
        digits.append(USCC_ALPHABET[r])
    if n:
        raise ValueError("serial too large for the organisation code")
    return prefix + "".join(reversed(digits))
