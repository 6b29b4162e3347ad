"""A local stand-in for the public credit platform, mounted only in demo mode, under DEBUG or when the settings
ask (``ZJCS_CREDIT_EXCHANGE_STANDIN``, the tests): it accepts pushed messages and feedback (deduplicated by
message id: 200 the first time, 409 after), serves its lists to pull, and can be told to fail the next pushes
with a server error. It speaks the documented format and nothing more; it is not the platform."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from marketplace.boundedjson import JsonRefused, bounded_loads
from opendata.exchange_models import StandinFault, StandinListing, StandinReceived

from .format import VERSION, iso


def _authorised(request: HttpRequest) -> bool:
    token = settings.ZJCS_CREDIT_EXCHANGE_TOKEN
    given = request.headers.get("Authorization", "")
    return not token or hmac.compare_digest(given, f"Bearer {token}")


def _fault_take() -> bool:
    """Whether this push is one the stand-in was told to fail."""
    return StandinFault.objects.filter(remaining__gt=0).update(remaining=F("remaining") - 1) > 0


def _receive(request: HttpRequest, channel: str) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    if _fault_take():
        return JsonResponse({"error": "stand-in told to fail"}, status=500)
    try:
        message = bounded_loads(request.body.decode("utf-8"))
    except (JsonRefused, UnicodeDecodeError):
        return JsonResponse({"error": "not JSON"}, status=400)
    if not isinstance(message, dict) or message.get("version") != VERSION or not message.get("message_id"):
        return JsonResponse({"error": f"expected {VERSION} with a message_id"}, status=400)
    message_id = str(message["message_id"])[:64]
    try:
        with transaction.atomic():
            StandinReceived.objects.create(message_id=message_id, channel=channel, payload=message)
    except IntegrityError:
        return JsonResponse({"message_id": message_id, "duplicate": True}, status=409)
    return JsonResponse({"message_id": message_id, "accepted": True})


@csrf_exempt
@require_POST
def messages_receive(request: HttpRequest) -> JsonResponse:
    return _receive(request, "measure")


@csrf_exempt
@require_POST
def feedback_receive(request: HttpRequest) -> JsonResponse:
    return _receive(request, "feedback")


@require_GET
def list_serve(request: HttpRequest, source: str) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    rows = StandinListing.objects.filter(source=source).order_by("pk")
    items = [
        {
            "uscc": r.uscc,
            "name": r.name,
            "reason": r.reason,
            "listed_on": iso(r.listed_on),
            "delisted_on": iso(r.delisted_on),
        }
        for r in rows
    ]
    body = {"version": VERSION, "source": source, "generated_at": iso(timezone.now()), "items": items}
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def faults_set(request: HttpRequest) -> JsonResponse:
    """``{"fail_next": n}``: the next n pushes are answered with a 500."""
    if not _authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    try:
        count = int(bounded_loads(request.body.decode("utf-8")).get("fail_next", 0))
    except (JsonRefused, UnicodeDecodeError, AttributeError, TypeError, ValueError):
        return JsonResponse({"error": 'expected {"fail_next": n}'}, status=400)
    StandinFault.objects.all().delete()
    StandinFault.objects.create(remaining=max(0, min(count, 100)))
    return JsonResponse({"fail_next": count})
