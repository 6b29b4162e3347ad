"""buyer pages."""

urlpatterns: list = []
