"""Birthday routes."""

from __future__ import annotations

from django.urls import path

from birthday import views

app_name = "birthday"

urlpatterns = [
    path("", views.BirthdayCreateView.as_view(), name="create"),
    path("list/", views.BirthdayListView.as_view(), name="list"),
]
