"""The work pages of every role (agency, buyer, supervisor, operator) and the public procurement pages."""

from django.urls import path

from .views import (
    agency,
    agency_projects,
    buyer,
    buyer_project,
    clock,
    complaints,
    draws,
    identity,
    inspections,
    operator,
    policy_whatif,
    public,
    reports,
    supervisor,
    supervisor_events,
    supervisor_risk,
    workspace,
)

account_urls = [
    path("me/", workspace.dashboard, name="dashboard"),
    path("me/inbox/", workspace.inbox, name="inbox"),
    path("me/notifications/", workspace.preferences, name="notification-preferences"),
]

agency_urls = [
    path("agency/register/", identity.agency_register, name="agency-register"),
    path("agency/identity/", identity.agency_identity, name="agency-identity"),
    path("agency/membership/", agency.membership_page, name="agency-membership"),
    path("agency/qualifications/add/", agency.qualification_add, name="agency-qualification-add"),
    path("agency/credit/", agency.credit_page, name="agency-credit"),
    path("agency/credit/<int:entry_id>/object/", agency.objection_new, name="agency-objection-new"),
    path("agency/credit/<int:entry_id>/repair/", agency.repair_new, name="agency-repair-new"),
    path("agency/cases/", agency.cases_page, name="agency-cases"),
    path("agency/cases/<int:pk>/", agency.case_respond, name="agency-case-respond"),
    path("agency/files/<slug:kind>/<int:pk>/", agency.private_file, name="agency-file"),
    path("agency/projects/", agency_projects.project_list, name="agency-projects"),
    path("agency/projects/mine/", agency_projects.signup_list, name="agency-signups"),
    path("agency/projects/engagements/<int:pk>/", agency_projects.engagement_detail, name="agency-engagement"),
    path("agency/projects/<str:code>/", agency_projects.project_detail, name="agency-project"),
]

buyer_urls = [
    path("buyer/projects/", buyer.project_list, name="buyer-projects"),
    path("buyer/projects/new/", buyer.project_new, name="buyer-project-new"),
    path("buyer/projects/<str:code>/edit/", buyer.project_edit, name="buyer-project-edit"),
    path("buyer/projects/<str:code>/", buyer_project.project_detail, name="buyer-project"),
    path("buyer/projects/<str:code>/submit/", buyer_project.project_submit, name="buyer-project-submit"),
    path("buyer/projects/<str:code>/cancel/", buyer_project.project_cancel, name="buyer-project-cancel"),
    path("buyer/projects/<str:code>/discard/", buyer_project.project_discard, name="buyer-project-discard"),
    path("buyer/projects/<str:code>/relaunch/", buyer_project.project_relaunch, name="buyer-project-relaunch"),
    path("buyer/projects/<str:code>/marks/", buyer_project.project_marks, name="buyer-project-marks"),
    path(
        "buyer/projects/<str:code>/scoring/finish/",
        buyer_project.project_scoring_finish,
        name="buyer-project-scoring-finish",
    ),
    path(
        "buyer/projects/<str:code>/confirm-winner/",
        buyer_project.project_confirm_winner,
        name="buyer-project-confirm-winner",
    ),
    path("buyer/projects/<str:code>/contract/", buyer_project.contract_sign, name="buyer-contract-sign"),
    path("buyer/projects/<str:code>/extend/", buyer_project.service_extend, name="buyer-service-extend"),
    path("buyer/projects/<str:code>/after-measure/", buyer_project.service_after_measure, name="buyer-after-measure"),
    path("buyer/projects/<str:code>/result/", buyer_project.result_review, name="buyer-result-review"),
    path("buyer/projects/<str:code>/rating/", buyer_project.rating_submit, name="buyer-rating"),
    path("buyer/projects/<str:code>/payment/", buyer_project.payment_record, name="buyer-payment"),
    path(
        "buyer/projects/<str:code>/engagements/<int:pk>/<str:kind>/",
        buyer_project.engagement_file,
        name="buyer-engagement-file",
    ),
    path(
        "buyer/projects/<str:code>/signups/<int:pk>/proposal/",
        buyer_project.proposal_file,
        name="buyer-proposal-file",
    ),
]

supervisor_urls = [
    path("supervisor/", supervisor.queue, name="supervisor-queue"),
    path("supervisor/reports/", reports.report_list, name="supervisor-reports"),
    path("supervisor/reports/<str:month>/", reports.report_detail, name="supervisor-report"),
    path("supervisor/reports/<str:month>/pdf/", reports.report_pdf, name="supervisor-report-pdf"),
    path("supervisor/applications/<int:pk>/", supervisor.application, name="supervisor-application"),
    path("supervisor/memberships/<int:pk>/renew/", supervisor.membership_renew_view, name="supervisor-renew"),
    path("supervisor/events/new/", supervisor_events.event_new, name="supervisor-event-new"),
    path("supervisor/events/<int:pk>/", supervisor_events.event_detail, name="supervisor-event"),
    path("supervisor/events/<int:pk>/withdraw/", supervisor_events.event_withdraw, name="supervisor-event-withdraw"),
    path("supervisor/cases/new/", supervisor.case_new, name="supervisor-case-new"),
    path("supervisor/cases/<int:pk>/", supervisor.case_detail, name="supervisor-case"),
    path("supervisor/objections/<int:pk>/", supervisor.objection_detail, name="supervisor-objection"),
    path("supervisor/repairs/<int:pk>/", supervisor.repair_detail, name="supervisor-repair"),
    path("supervisor/external-lists/import/", supervisor.external_import, name="supervisor-external-import"),
    path("supervisor/files/<slug:kind>/<int:pk>/", supervisor.private_file, name="supervisor-file"),
    path("supervisor/policy/whatif/", policy_whatif.whatif, name="policy-whatif"),
    path("supervisor/policy/whatif/csv/", policy_whatif.whatif_csv, name="policy-whatif-csv"),
    path("supervisor/policy/whatif/publish/", policy_whatif.publish, name="policy-whatif-publish"),
    path("supervisor/risk/", supervisor_risk.flag_list, name="supervisor-risk-flags"),
    path("supervisor/risk/<int:pk>/", supervisor_risk.flag_detail, name="supervisor-risk-flag"),
]

operator_urls = [
    path("operator/", operator.queue, name="operator-queue"),
    path("operator/lockouts/", operator.lockouts, name="operator-lockouts"),
    path("operator/identity/", identity.operator_identity_queue, name="operator-identity-queue"),
    path("operator/identity/<int:pk>/", identity.operator_identity, name="operator-identity"),
    path("operator/identity/<int:pk>/licence/", identity.operator_identity_licence, name="operator-identity-licence"),
    path("operator/projects/<str:code>/", operator.project_detail, name="operator-project"),
    path("operator/clock/", clock.demo_clock, name="demo-clock"),
]

public_urls = [
    path("draws/verify/", draws.draw_verify, name="draw-verify"),
    # Before draws/<code>/, which would otherwise take "spec" for a project code.
    path("draws/spec/", draws.draw_spec, name="draw-spec"),
    path("draws/spec.md", draws.draw_spec_text, name="draw-spec-text"),
    path("draws/<str:code>.json", draws.draw_proof_json, name="draw-proof-json"),
    path("draws/<str:code>/", draws.draw_proof, name="draw-proof"),
    path("projects/", public.project_search, name="project-search"),
    path("projects/<str:code>/", public.project_public, name="project-public"),
    path("statistics/", public.statistics, name="statistics"),
]

urlpatterns = account_urls + agency_urls + buyer_urls + supervisor_urls + operator_urls + public_urls

complaint_urls = [
    path("agency/complaints/", complaints.agency_complaints, name="agency-complaints"),
    path("agency/challenges/new/<str:code>/", complaints.agency_challenge_new, name="agency-challenge-new"),
    path("agency/challenges/<int:pk>/", complaints.agency_challenge, name="agency-challenge"),
    path("agency/service-complaints/<int:pk>/", complaints.agency_service_complaint, name="agency-service-complaint"),
    path("buyer/projects/<str:code>/challenges/", complaints.buyer_challenges, name="buyer-challenges"),
    path("buyer/challenges/<int:pk>/", complaints.buyer_challenge, name="buyer-challenge"),
    path("supervisor/challenges/<int:pk>/", complaints.supervisor_challenge, name="supervisor-challenge"),
    path(
        "supervisor/service-complaints/<int:pk>/",
        complaints.supervisor_service_complaint,
        name="supervisor-service-complaint",
    ),
    path("complaints/new/<str:uscc>/", complaints.service_complaint_new, name="service-complaint-new"),
    path("complaints/files/<slug:kind>/<int:pk>/", complaints.complaint_file, name="complaint-file"),
]

urlpatterns += complaint_urls

# Random inspections (双随机、一公开): the supervisor's plans and each plan's public page with its proof.
inspection_urls = [
    path("supervisor/inspections/", inspections.plan_list, name="supervisor-inspections"),
    path("supervisor/inspections/new/", inspections.plan_new, name="supervisor-inspection-new"),
    path("supervisor/inspections/<str:code>/", inspections.plan_detail, name="supervisor-inspection"),
    path("supervisor/inspections/<str:code>/draw/", inspections.plan_draw_view, name="supervisor-inspection-draw"),
    path("supervisor/inspections/<str:code>/close/", inspections.plan_close_view, name="supervisor-inspection-close"),
    path(
        "supervisor/inspections/<str:code>/targets/<int:pk>/",
        inspections.target_record_view,
        name="supervisor-inspection-record",
    ),
    path("inspections/<str:code>.json", inspections.plan_proof_json, name="inspection-proof-json"),
    path("inspections/<str:code>/", inspections.plan_public, name="inspection-public"),
]

urlpatterns += inspection_urls
