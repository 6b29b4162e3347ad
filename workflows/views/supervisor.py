"""supervisor pages."""

urlpatterns: list = []
