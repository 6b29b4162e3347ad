"""agency pages."""

urlpatterns: list = []
