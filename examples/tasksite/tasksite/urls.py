"""The Task site's routes."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from accounts.views import ResetView
from tasksite import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    # contrib.auth's path and name, listed first so the HTML-mail version wins.
    path("accounts/password_reset/", ResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("tasks/", include("tasks.urls")),
    path("birthday/", include("birthday.urls")),
    path("notes/", include("notes.urls")),
    path("reports/", include("reports.urls")),
    path("boom/", views.boom, name="boom"),
    path("admin/", admin.site.urls),
]
