from django.urls import path

from . import views

app_name = "batches"

urlpatterns = [
    path("batches/", views.BatchListView.as_view(), name="batch_list"),
    path("batches/check/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path("batches/<int:pk>/retry/", views.batch_retry, name="batch_retry"),
    path("batches/<int:pk>/results/", views.BatchResultsView.as_view(), name="batch_results"),
    path("batches/<int:pk>/results/<int:result_pk>/", views.ResultDetailView.as_view(), name="result_detail"),
]
