"""agency_projects pages."""

urlpatterns: list = []
