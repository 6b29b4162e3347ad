"""Security headers Django's SecurityMiddleware does not set: Permissions-Policy on every response.

(Referrer-Policy comes from SecurityMiddleware: ``SECURE_REFERRER_POLICY``.) The platform uses no camera,
microphone, location, payment, USB or sensors, so every page denies them to itself and to any frame.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.value = getattr(settings, "PERMISSIONS_POLICY", DEFAULT_PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.value)
        return response
