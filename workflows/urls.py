"""Work pages (agency, supervisor) and the public draw pages."""

from django.urls import include, path

from .views import agency, draws, supervisor

urlpatterns = [
    path("agency/", include(agency.urlpatterns)),
    path("supervisor/", include(supervisor.urlpatterns)),
    path("", include(draws.urlpatterns)),
]
