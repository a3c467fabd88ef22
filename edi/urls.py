from django.urls import path

from . import views

app_name = "edi"

urlpatterns = [
    path("export/", views.ExportView.as_view(), name="export"),
    path("export/background/", views.export_background, name="export_background"),
    path("interchanges/", views.InterchangeListView.as_view(), name="interchange_list"),
    path("interchanges/<int:pk>/", views.InterchangeDetailView.as_view(), name="interchange_detail"),
    path("interchanges/<int:pk>/download/", views.interchange_download, name="interchange_download"),
]
