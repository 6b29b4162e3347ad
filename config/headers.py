"""Security headers Django's SecurityMiddleware does not set: Permissions-Policy and Content-Security-Policy.

(Referrer-Policy comes from SecurityMiddleware: ``SECURE_REFERRER_POLICY``.) The platform uses no camera,
microphone, location, payment, USB or sensors, so every page denies them to itself and to any frame.

The Content-Security-Policy is django-csp's, from ``CONTENT_SECURITY_POLICY``: scripts and styles from
this origin or carrying the request's nonce, nothing inline. One exception, scoped by path
(``CSP_INLINE_STYLE_PREFIXES``): Wagtail's rich-text editor builds ``<style>`` elements in the browser
(placeholders per block, list counters) with content no nonce or hash can foresee, so under /cms/ inline
*styles* are allowed. Scripts stay nonce-only everywhere, the back office included.
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
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


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with inline styles allowed only under ``CSP_INLINE_STYLE_PREFIXES``."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        prefixes = tuple(getattr(settings, "CSP_INLINE_STYLE_PREFIXES", ()))
        if prefixes and request.path_info.startswith(prefixes):
            # A nonce in style-src would make browsers ignore 'unsafe-inline': the list replaces it.
            parts.replace = {**(parts.replace or {}), "style-src": [SELF, UNSAFE_INLINE]}
        return parts
