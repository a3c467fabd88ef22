from django.urls import path

from . import import_views

app_name = "imports"

urlpatterns = [
    path("imports/", import_views.ImportedFileListView.as_view(), name="import_list"),
    path("imports/new/", import_views.import_create, name="import_create"),
    path("imports/<int:pk>/", import_views.ImportDetailView.as_view(), name="import_detail"),
]
