from django.urls import path

from . import views

app_name = "codes"

urlpatterns = [
    path("", views.CodeListView.as_view(), name="code_list"),
    path("autocomplete/", views.code_autocomplete, name="code_autocomplete"),
    path("diagnoses/", views.diagnosis_lookup, name="diagnosis_lookup"),
    path("<str:code>/", views.code_detail, name="code_detail"),
]
