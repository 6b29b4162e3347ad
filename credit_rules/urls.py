"""Public credit pages: agency directory and profiles, black list, red list, the policy in force, buyer units' records."""

from django.urls import path

from . import views

urlpatterns = [
    path("agencies/", views.agency_directory, name="agency-directory"),
    path("agencies/<str:uscc>/", views.agency_profile, name="agency-profile"),
    path("credit/blacklist/", views.blacklist, name="blacklist"),
    path("credit/redlist/", views.redlist, name="redlist"),
    path("credit/policy/", views.policy_public, name="credit-policy"),
    path("buyers/", views.buyer_directory, name="buyer-directory"),
    path("buyers/<str:uscc>/", views.buyer_profile, name="buyer-record"),
]
