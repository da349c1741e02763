"""The birthday form page."""

from __future__ import annotations

from django.urls import reverse_lazy
from django.views.generic import CreateView, ListView

from birthday.forms import BirthdayForm
from birthday.models import Birthday


class BirthdayCreateView(CreateView):
    """Record a birthday."""

    form_class = BirthdayForm
    template_name = "birthday/birthday.html"
    success_url = reverse_lazy("birthday:list")


class BirthdayListView(ListView):
    """Every birthday recorded."""

    model = Birthday
    template_name = "birthday/birthday_list.html"
