from django.urls import path

from . import views

app_name = "codes"

urlpatterns = [
    path("", views.CodeListView.as_view(), name="code_list"),
    path("<str:code>/", views.code_detail, name="code_detail"),
]
