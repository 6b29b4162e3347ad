"""Private uploads: which file an account may download, looked up within the party it acts for.

Uploads (qualification scans, evidence, proposals, contracts, results) are never served under a
public URL, in any settings module: each is served by a view that first asks one of these, so a
wrong party's request is a 404 and a sealed proposal stays sealed for everyone but its author.
"""

from __future__ import annotations

from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import Http404

from marketplace.models import Agency, Qualification

from ..models import CreditCase, Engagement, IdentityVerification, Objection, RepairRequest, SignUp

# What an agency may download of its own: the model and the file field, by the URL's kind.
AGENCY_FILES: dict[str, tuple[type[models.Model], str]] = {
    "qualification": (Qualification, "document"),
    "licence": (IdentityVerification, "licence"),
    "case": (CreditCase, "evidence"),
    "objection": (Objection, "evidence"),
    "repair": (RepairRequest, "evidence"),
    "proposal": (SignUp, "proposal"),
    "contract": (Engagement, "contract_file"),
    "result": (Engagement, "result_file"),
}


def file_get_for_agency(agency: Agency, kind: str, pk: int) -> FieldFile:
    """One of the agency's own uploads (or its engagement's contract); another party's is a 404."""
    if kind not in AGENCY_FILES:
        raise Http404
    model, field = AGENCY_FILES[kind]
    row = model._default_manager.filter(pk=pk, agency=agency).only("pk", field).first()
    if row is None:
        raise Http404
    return getattr(row, field)
