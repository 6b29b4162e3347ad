"""operator pages."""

urlpatterns: list = []
