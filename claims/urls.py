from django.urls import path

from . import api, views

app_name = "claims"

urlpatterns = [
    path("claims/rules/", views.rule_list, name="rule_list"),
    path("api/claims/scrub/", api.scrub, name="api_scrub"),
]
