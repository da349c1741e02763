"""Task list and creation."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse_lazy
from django.views.generic import CreateView, ListView

from tasks.forms import TaskForm
from tasks.mail import send_task_created
from tasks.models import Task


class TaskListView(ListView):
    """Every task, newest first."""

    model = Task


class TaskCreateView(CreateView):
    """Create a task; a logged-in author gets an HTML confirmation by mail."""

    form_class = TaskForm
    template_name = "tasks/task_form.html"
    success_url = reverse_lazy("tasks:list")

    def form_valid(self, form: TaskForm) -> HttpResponse:
        """Save the task, then mail its author if we know their address."""
        response = super().form_valid(form)
        user = self.request.user
        if user.is_authenticated and user.email:
            send_task_created(self.object, to=user.email, site=self.request.get_host())
        return response
