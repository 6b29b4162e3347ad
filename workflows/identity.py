"""How an agency proves control of its USCC: the pluggable identity verifier (``ZJCS_IDENTITY_VERIFIER``).

A verifier names itself (``code``, stored on each verification, and ``label``) and says whether registration
asks for the business licence scan (``needs_licence``); ``start`` runs when a verification is submitted, and
``next_url`` may send the registrant somewhere to finish (None: it waits for the verdict). Whatever the
verifier, the verdict is one of the transitions ``verify`` or ``reject`` fired through ``services.identity.identity_decide`` — by the operator, or by the
system (actor None) when a verifier's own callback has checked the proof. Every submitted verification is in
the operator's queue (``/operator/identity/``), whatever its method: the operator can always decide.

``OperatorReview`` is the one shipped: the operator compares the licence scan with the registered name, USCC
and legal representative. A deployment whose registrants can sign in to a credit platform would add a
verifier here whose ``next_url`` sends them to that login and whose callback view, having checked the signed
answer for the same USCC, calls ``identity_decide(..., actor=None)``; none is shipped, since no platform's
interface is specified here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models.identity import LEGACY_METHOD, IdentityVerification

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEFAULT_VERIFIER = "workflows.identity.OperatorReview"


class IdentityVerifier:
    """The interface: subclass it and name the class in ``ZJCS_IDENTITY_VERIFIER``."""

    code: ClassVar[str] = ""
    label: ClassVar[StrOrPromise] = ""
    # Registration asks for the business licence scan (营业执照) and the verification keeps it.
    needs_licence: ClassVar[bool] = True

    def start(self, verification: IdentityVerification) -> None:
        """Called in the submitting transaction (at registration, or resubmitted after a rejection)."""

    def next_url(self, verification: IdentityVerification) -> str | None:
        """Where the registrant goes to finish (a platform's login), or None when it only waits for the verdict."""
        return None


class OperatorReview(IdentityVerifier):
    """The operator (运营机构) compares the licence scan with the registered name, USCC and legal representative."""

    code = "operator_review"
    label = _("运营机构核验营业执照")


def verifier_current() -> IdentityVerifier:
    """The verifier this deployment uses for new registrations."""
    return import_string(getattr(settings, "ZJCS_IDENTITY_VERIFIER", DEFAULT_VERIFIER))()


def method_label(code: str) -> StrOrPromise:
    """A stored method in words: the current verifier's label, or the legacy admission, or the code itself."""
    if code == LEGACY_METHOD:
        return _("身份核验上线前已注册（原流程）")
    verifier = verifier_current()
    return verifier.label if verifier.code == code else code
