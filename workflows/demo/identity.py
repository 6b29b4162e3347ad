"""The demo's agencies prove control of their USCC as registrants do: a licence scan, the operator's verdict.

An agency with an account (a scenario login) goes through the services themselves (``identity_open``, then
``identity_decide`` by the operator, which tells its clerk). For the others — bulk-inserted agencies with no
account yet, up to 100,000 of them — this writes directly, in batches, exactly the rows those two services
write (``tests/workflows/test_demo_identity.py`` compares them row by row): the licence file under the name the
upload path gives it, the verification as the ``verify`` transition leaves it, the runner's log row, and
``Agency.identity_verified_at``. No notification is written for them: nobody could have been told.

The licence is a specimen the seed draws (a one-page PDF naming the agency and its USCC, marked as demo data).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from marketplace.models import Agency, AgencyStaff

from ..identity import OperatorReview
from ..models import IdentityVerification, TransitionLog
from ..models.uploads import licence_upload_to
from ..services.identity import identity_decide, identity_open
from .agencies import BATCH

LICENCE_NAME = "licence.pdf"
# How long before the verdict the licence was submitted.
REVIEWING = datetime.timedelta(hours=4)


def licence_specimen(uscc: str) -> bytes:
    """A one-page PDF that says it is a demo specimen of the licence of ``uscc`` (ASCII only: no fonts needed)."""
    text = f"BT /F1 14 Tf 40 120 Td (DEMO SPECIMEN - business licence) Tj 0 -24 Td (USCC {uscc}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 200] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return out


def licence_upload(uscc: str) -> ContentFile:
    """The specimen as an upload, named as a registrant's scan would be."""
    return ContentFile(licence_specimen(uscc), name=LICENCE_NAME)


def identity_verify_through_services(agency: Agency, reviewer) -> IdentityVerification:
    """Registration's verification and the operator's verdict, through the services."""
    verification = identity_open(agency=agency, licence=licence_upload(agency.uscc), at=timezone.now() - REVIEWING)
    result = identity_decide(verification=verification, actor=reviewer, verified=True)
    if not result.ok:
        raise RuntimeError(f"the demo verification of {agency.uscc} was refused: {result.messages}")
    return verification


def identities_verify(
    agencies: QuerySet[Agency], *, reviewer, progress: Callable[[str], None] = lambda _m: None
) -> None:
    """Verify every agency of ``agencies`` that has no verification yet, as registration and the operator would."""
    pending = list(agencies.filter(identity__isnull=True).order_by("pk").values_list("pk", flat=True))
    if not pending:
        return
    log_type = ContentType.objects.get_for_model(IdentityVerification)
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        staffed = set(AgencyStaff.objects.filter(agency_id__in=chunk).values_list("agency_id", flat=True))
        with transaction.atomic():
            for agency in Agency.objects.filter(pk__in=staffed).order_by("pk"):
                identity_verify_through_services(agency, reviewer)
            _bulk_write(
                list(Agency.objects.filter(pk__in=chunk).exclude(pk__in=staffed).order_by("pk")), reviewer, log_type
            )
        progress(f"  identities {min(start + BATCH, len(pending))}/{len(pending)}")


def _bulk_write(agencies: list[Agency], reviewer, log_type: ContentType) -> None:
    if not agencies:
        return
    decided = timezone.now()
    rows = []
    for agency in agencies:
        probe = IdentityVerification(agency=agency)
        name = default_storage.save(licence_upload_to(probe, LICENCE_NAME), licence_upload(agency.uscc))
        rows.append(
            IdentityVerification(
                agency=agency,
                method=OperatorReview.code,
                state=IdentityVerification.State.VERIFIED,
                licence=name,
                submitted_at=decided - REVIEWING,
                reviewer=reviewer,
                decided_at=decided,
            )
        )
    made = IdentityVerification.objects.bulk_create(rows, batch_size=BATCH)
    TransitionLog.objects.bulk_create(
        [
            TransitionLog(
                content_type=log_type,
                object_id=verification.pk,
                transition="verify",
                from_state=IdentityVerification.State.SUBMITTED,
                to_state=IdentityVerification.State.VERIFIED,
                outcome=TransitionLog.Outcome.DONE,
                actor=reviewer,
                at=decided,
            )
            for verification in made
        ],
        batch_size=BATCH,
    )
    Agency.objects.filter(pk__in=[a.pk for a in agencies]).update(identity_verified_at=decided)
