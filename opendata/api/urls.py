"""The API's URLs: /api/v1/ (versioned), its OpenAPI document and the browsable documentation at /api/docs/."""

from django.urls import include, path

from . import docs, pages, views_public, views_token

v1 = [
    path("schema/", docs.ApiSchema.as_view(), name="api-schema"),
    path("projects/", views_public.ProjectList.as_view(), name="api-projects"),
    path("projects/<str:code>/", views_public.ProjectDetail.as_view(), name="api-project"),
    path("notices/", views_public.NoticeList.as_view(), name="api-notices"),
    path("notices/<str:pk>/", views_public.NoticeDetail.as_view(), name="api-notice"),
    path("agencies/", views_public.AgencyList.as_view(), name="api-agencies"),
    path("agencies/<str:uscc>/", views_public.AgencyDetail.as_view(), name="api-agency"),
    path("blacklist/", views_public.BlackList.as_view(), name="api-blacklist"),
    path("redlist/", views_public.RedList.as_view(), name="api-redlist"),
    path("draws/", views_public.DrawList.as_view(), name="api-draws"),
    path("draws/<str:code>/", views_public.DrawDetail.as_view(), name="api-draw"),
    path("statistics/", views_public.Statistics.as_view(), name="api-statistics"),
    path("agency/projects/", views_token.AgencyProjects.as_view(), name="api-agency-projects"),
    path("agency/projects/<str:code>/signup/", views_token.AgencySignup.as_view(), name="api-agency-signup"),
    path("agency/credit/", views_token.AgencyCredit.as_view(), name="api-agency-credit"),
    path("buyer/projects/", views_token.BuyerProjects.as_view(), name="api-buyer-projects"),
    path("buyer/projects/<str:code>/signups/", views_token.BuyerSignups.as_view(), name="api-buyer-signups"),
    path("supervisor/queue/", views_token.SupervisorQueueView.as_view(), name="api-supervisor-queue"),
]

urlpatterns = [
    path("api/docs/", docs.ApiDocs.as_view(), name="api-docs"),
    path("me/api-tokens/", pages.api_tokens, name="api-tokens"),
    path("me/api-tokens/<int:pk>/revoke/", pages.api_token_revoke, name="api-token-revoke"),
    path("api/v1/", include(v1)),
    path("api/<path:rest>", views_public.api_not_found, name="api-not-found"),
]
