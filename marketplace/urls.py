from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
    path("agency/register/", views.agency_register, name="agency-register"),
]
