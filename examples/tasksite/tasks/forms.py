"""TaskForm, exactly as seed 003 writes it: "Test Task" mails the admin."""

from __future__ import annotations

from django import forms
from django.core.mail import send_mail

from tasks.models import Task


class TaskForm(forms.ModelForm):
    """Create a task; a task titled "Test Task" is reported to the admin."""

    class Meta:
        model = Task
        fields = ["title", "description"]

    def clean_title(self) -> str:
        """Mail admin@task.local when someone tries to create the test task."""
        title = self.cleaned_data["title"]
        if title == "Test Task":
            send_mail(
                subject="Попытка создать тестовую задачу",
                message=f'Пользователь попробовал завести задачу с именем "{title}"',
                from_email="task_form@task.local",
                recipient_list=["admin@task.local"],
                fail_silently=True,
            )
        return title
