"""The browsable documentation at /api/docs/: Swagger UI from static (drf-spectacular-sidecar), no CDN.

The split view serves its start-up script as a file of its own (``?script``), so the page runs under the site's
Content-Security-Policy with no inline script; the page's few style rules carry the request's nonce.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class ApiSchema(SpectacularAPIView):
    authentication_classes: list = []
    permission_classes: list = []


class ApiDocs(SpectacularSwaggerSplitView):
    authentication_classes: list = []
    permission_classes: list = []
    template_name = "opendata/public_api_docs.html"
    url_name = "api-schema"
