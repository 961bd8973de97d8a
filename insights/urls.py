from django.urls import path

from . import views

urlpatterns = [
    path("", views.insights, name="insights"),
    path("<slug:chart>.csv", views.chart_csv, name="insights-csv"),
]
