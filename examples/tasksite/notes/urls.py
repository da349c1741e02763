"""Category routes."""

from __future__ import annotations

from django.urls import path

from notes import views

app_name = "notes"

urlpatterns = [
    path("", views.category_list, name="list"),
    path("<int:category_id>/", views.category_detail, name="detail"),
]
