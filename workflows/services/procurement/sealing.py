"""Sealed quotes (密封报价): encrypted at sign-up, unreadable by everyone until the deadline.

The key is derived per project from the server secret, so a database dump alone reveals nothing;
the only code path that opens a quote checks the project's sign-up deadline first.
"""

from __future__ import annotations

import base64
import datetime
from decimal import Decimal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils import timezone

from marketplace.errors import NotPermitted

from ...models import Project, SignUp


class QuoteSealed(NotPermitted):
    """Nobody — buyer, operator or supervisor — may read a quote before the sign-up deadline."""


def _fernet(project_code: str) -> MultiFernet:
    """The project's sealing key from the server secret; quotes sealed under a secret since rotated out open
    with the keys of ``SECRET_KEY_FALLBACKS`` (Django's own rotation setting), new ones seal under the current."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_key(project_code, secret) for secret in secrets])


def _key(project_code: str, secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"zjcs-quote-seal-v1", info=project_code.encode()).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def quote_seal(project_code: str, quote: Decimal) -> str:
    """Encrypt a quote for a project."""
    return _fernet(project_code).encrypt(str(quote).encode()).decode()


def sealed_for_good(project) -> bool:
    """A project cancelled before its sign-up closed: its quotes and bidders stay sealed for good, so a
    relaunch on the same terms learns nothing of the earlier bids (the close is what admits sign-ups)."""
    if project.state != Project.State.CANCELLED:
        return False
    return not project.signups.exclude(state__in=(SignUp.State.SUBMITTED, SignUp.State.WITHDRAWN)).exists()


def quote_open(project, token: str, at: datetime.datetime | None = None) -> Decimal:
    """Decrypt a quote, only once the project's sign-up deadline has passed."""
    at = at or timezone.now()
    if project.signup_deadline is None or at < project.signup_deadline:
        raise QuoteSealed("quotes stay sealed until the sign-up deadline")
    if sealed_for_good(project):
        raise QuoteSealed("a project cancelled before its sign-up closed keeps its quotes sealed")
    try:
        return Decimal(_fernet(project.code).decrypt(token.encode()).decode())
    except InvalidToken as exc:  # tampered or sealed under another key
        raise ValueError("sealed quote cannot be opened") from exc


def quote_open_own(signup, agency) -> Decimal:
    """The agency's own sealed quote, shown back to it alone at any time: what it submitted is no secret from it.

    ``agency`` is the one the signed-in clerk acts for; anyone else's sign-up is refused, so the seal still
    holds against the buyer, the operator, the supervisors and the other agencies until the deadline.
    """
    if signup.agency_id != agency.pk:
        raise QuoteSealed("a sealed quote is shown only to the agency that submitted it")
    try:
        return Decimal(_fernet(signup.project.code).decrypt(signup.sealed_quote.encode()).decode())
    except InvalidToken as exc:
        raise ValueError("sealed quote cannot be opened") from exc
