from django.urls import path

from . import api, dashboard, entry, review_views, views

app_name = "claims"

urlpatterns = [
    path("claims/", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/new/", entry.claim_entry, name="claim_new"),
    path("claims/check/", entry.live_check, name="live_check"),
    path("claims/patients/", views.patient_search, name="patient_search"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim_detail"),
    path("claims/<int:pk>/edit/", entry.claim_entry, name="claim_edit"),
    path("claims/<int:pk>/history/", views.ClaimHistoryView.as_view(), name="claim_history"),
    path("claims/<int:pk>/history.csv", views.claim_history_csv, name="claim_history_csv"),
    path("claims/<int:pk>/void/", views.claim_void_view, name="claim_void"),
    path("claims/<int:pk>/cms1500.pdf", views.claim_cms1500_view, name="claim_cms1500"),
    path("claims/review/", review_views.ReviewQueueView.as_view(), name="review_queue"),
    path("claims/review/assign/", review_views.review_assign_view, name="review_assign"),
    path("claims/<int:pk>/review/", review_views.ReviewDetailView.as_view(), name="review_detail"),
    path("claims/<int:pk>/review/decide/", review_views.review_decide_view, name="review_decide"),
    path("claims/dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("claims/dashboard.csv", dashboard.dashboard_csv, name="dashboard_csv"),
    path("claims/rules/", views.rule_list, name="rule_list"),
    path("api/claims/scrub/", api.scrub, name="api_scrub"),
]
