"""Payment of the service fee: no card processor — a manual bank transfer or a sandbox; idempotent commands; late payment is a record against the buyer (政务诚信)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.errors import ApplicationError

from ...models import Payment, PaymentCommand
from ..credit.buyers import buyer_failure_record
from ..transitions import row_reload, target_label, transition_run
from .engagements import project_close_if_done


class PaymentProvider(Protocol):
    """How money moves: no card processor; a manual bank transfer, or a sandbox for demos and tests."""

    # Read-only, so that frozen dataclasses (below) are providers.
    @property
    def name(self) -> str: ...

    @property
    def settles_at_once(self) -> bool: ...


@dataclass(frozen=True)
class BankTransfer:
    """The buyer records the transfer reference; the agency confirms receipt."""

    name: str = "bank_transfer"
    settles_at_once: bool = False


@dataclass(frozen=True)
class Sandbox:
    """Settles at once (demos and tests)."""

    name: str = "sandbox"
    settles_at_once: bool = True


PROVIDERS: dict[str, PaymentProvider] = {"bank_transfer": BankTransfer(), "sandbox": Sandbox()}


def _idempotent(key: str, payment: Payment, command: str):
    """Run a payment command at most once per idempotency key; a repeat returns the first result."""
    if not key or len(key) > 100:
        raise ApplicationError(_("缺少有效的幂等键。"))
    done = PaymentCommand.objects.filter(key=key).first()
    if done is not None:
        if done.payment_id != payment.pk or done.command != command:
            raise ApplicationError(_("该幂等键已用于其他付款操作。"))
        return done
    return None


@transaction.atomic
def payment_record(*, payment: Payment, actor, reference: str, provider: str, key: str) -> Payment:
    """The buyer records a payment (bank transfer reference, or sandbox settlement)."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if _idempotent(key, payment, "record"):
        return payment
    chosen = PROVIDERS.get(provider)
    if chosen is None:
        raise ApplicationError(_("不支持的支付方式。"))
    if chosen.name == "bank_transfer" and not reference.strip():
        raise ApplicationError(_("请填写银行转账流水号。"))
    now = timezone.now()
    result = transition_run(
        obj=payment,
        name="record_transfer",
        actor=actor,
        params={"at": now, "reference": reference.strip() or f"SANDBOX-{payment.pk}", "provider": chosen.name},
        at=now,
    )
    if not result.ok:
        raise ApplicationError(result.messages)
    if chosen.settles_at_once:
        transition_run(obj=payment, name="settle", actor=None, params={"at": now}, at=now)
        project_close_if_done(payment.engagement, now)
    PaymentCommand.objects.create(key=key, payment=payment, command="record", result={"state": "recorded"})
    row_reload(payment)
    return payment


@transaction.atomic
def payment_confirm(*, payment: Payment, actor, key: str) -> Payment:
    """The agency confirms receipt of the transfer."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if _idempotent(key, payment, "confirm"):
        return payment
    now = timezone.now()
    result = transition_run(obj=payment, name="settle", actor=actor, params={"at": now}, at=now)
    if not result.ok:
        raise ApplicationError(result.messages)
    PaymentCommand.objects.create(key=key, payment=payment, command="confirm", result={"state": "paid"})
    project_close_if_done(payment.engagement, now)
    row_reload(payment)
    return payment


def payment_late(payment: Payment, at: datetime.datetime) -> bool:
    """A payment past its due date writes one credit event against the buyer unit (政务诚信), which may warrant a warning."""
    if not Payment.objects.filter(pk=payment.pk, late_recorded=False).update(late_recorded=True):
        return False
    project = payment.engagement.project
    buyer_failure_record(
        unit=project.buyer,
        step="payment.late",
        context={"project": project.code, "due": f"{timezone.localtime(payment.due_at):%Y-%m-%d}"},
        target=target_label(payment),
        evidence={"project": project.code},
        at=at,
    )
    return True
