"""Public draw verification pages."""

urlpatterns: list = []
