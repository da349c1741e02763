"""The "task created" message: a text body and an HTML alternative, both from templates."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from tasks.models import Task


def send_task_created(task: Task, *, to: str, site: str) -> int:
    """Tell ``to`` that ``task`` was created; return the number of messages sent (0 or 1)."""
    context = {"task": task, "site": site}
    message = EmailMultiAlternatives(
        subject=f"Задача «{task.title}» создана",
        body=render_to_string("tasks/emails/task_created.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string("tasks/emails/task_created.html", context), "text/html"
    )
    return message.send(fail_silently=True)
