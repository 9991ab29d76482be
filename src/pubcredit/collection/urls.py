from django.urls import path

from pubcredit.collection import views

app_name = "collection"
urlpatterns = [
    path("batches/", views.batches, name="batches"),
    path("batches/<int:batch_id>/", views.batch, name="batch"),
    path("batches/<int:batch_id>/rejected.csv", views.rejected_csv, name="rejected_csv"),
]
