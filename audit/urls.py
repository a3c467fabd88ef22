from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("export.csv", views.trail_export, name="trail_export"),
]
