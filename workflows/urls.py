"""Work pages by role (agency, supervisor, buyer, operator) and the public draw pages."""

from django.urls import include, path

from .views import agency, agency_projects, buyer, draws, operator, public, supervisor

urlpatterns = [
    path("agency/", include(agency.urlpatterns)),
    path("agency/projects/", include(agency_projects.urlpatterns)),
    path("supervisor/", include(supervisor.urlpatterns)),
    path("buyer/", include(buyer.urlpatterns)),
    path("operator/", include(operator.urlpatterns)),
    path("", include(draws.urlpatterns)),
    path("", include(public.urlpatterns)),
]
