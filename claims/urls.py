from django.urls import path

from . import api, entry, views

app_name = "claims"

urlpatterns = [
    path("claims/", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/new/", entry.claim_entry, name="claim_new"),
    path("claims/check/", entry.live_check, name="live_check"),
    path("claims/patients/", views.patient_search, name="patient_search"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim_detail"),
    path("claims/<int:pk>/edit/", entry.claim_entry, name="claim_edit"),
    path("claims/rules/", views.rule_list, name="rule_list"),
    path("api/claims/scrub/", api.scrub, name="api_scrub"),
]
