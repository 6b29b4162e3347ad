"""Public credit pages."""

urlpatterns: list = []
