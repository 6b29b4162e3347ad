"""Where uploaded files go (named by the migrations, so they keep these names)."""

from __future__ import annotations

from django.utils import timezone


def evidence_upload_to(instance, filename: str) -> str:
    return f"evidence/{type(instance).__name__.lower()}/{timezone.now():%Y%m}/{filename}"


def contract_upload_to(instance, filename: str) -> str:
    return f"contracts/{instance.project_id}/{filename}"


def licence_upload_to(instance, filename: str) -> str:
    """A business licence scan (identity verification): private, served only through access-checked views."""
    return f"identity/{instance.agency.uscc}/{filename}"
