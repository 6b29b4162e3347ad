from django.urls import path

from . import views

urlpatterns = [
    path("agency/register/", views.agency_register, name="agency-register"),
]
