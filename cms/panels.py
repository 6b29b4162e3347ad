"""The notice as it shows in /cms/: the public article with its dates, never the raw snapshot text."""

from __future__ import annotations

from typing import Any

from wagtail.admin.panels import Panel


class NoticePreviewPanel(Panel):
    """Renders the notice's article exactly as the public page does, with its withdrawal in words."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "cms/includes/notice_admin_panel.html"

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            context["notice"] = self.instance
            return context
