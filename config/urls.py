"""The site's URL map. Wagtail's page tree serves everything not matched above it."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("lang/", views.language_switch, name="language-switch"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("workflows.urls")),
    path("", include("credit_rules.urls")),
    path("", include("opendata.urls")),
    path("", include("cms.urls")),
]

urlpatterns += [path("", include(wagtail_urls))]
