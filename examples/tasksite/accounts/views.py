"""Account pages beyond contrib.auth's: sign up, and the reset form with an HTML message."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.views import PasswordResetView
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.views.generic import CreateView

from accounts.forms import SignUpForm


class SignUpView(CreateView):
    """Create an account and log it in."""

    form_class = SignUpForm
    template_name = "registration/signup.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: SignUpForm) -> HttpResponse:
        """Save the user, then log them in."""
        response = super().form_valid(form)
        login(self.request, self.object)
        return response


class ResetView(PasswordResetView):
    """contrib.auth's reset form; the message carries a text and an HTML version."""

    html_email_template_name = "registration/password_reset_email_html.html"
