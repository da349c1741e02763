"""Account routes of this site (contrib.auth's own are included by tasksite.urls)."""

from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.SignUpView.as_view(), name="signup"),
]
