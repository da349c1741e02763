"""Tasks: "Test Task" mails the admin exactly as seed 003 shows; authors get an HTML note."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from tasks.models import Task


class TaskFormTests(TestCase):
    """Creating tasks through the page."""

    def test_test_task_mails_the_admin(self) -> None:
        response = self.client.post(reverse("tasks:create"), {"title": "Test Task"})
        self.assertRedirects(response, reverse("tasks:list"))
        [message] = mail.outbox
        self.assertEqual(
            (message.subject, message.body, message.from_email, message.to),
            (
                "Попытка создать тестовую задачу",
                'Пользователь попробовал завести задачу с именем "Test Task"',
                "task_form@task.local",
                ["admin@task.local"],
            ),
        )
        self.assertEqual(Task.objects.get().title, "Test Task")

    def test_other_titles_send_nothing(self) -> None:
        self.client.post(reverse("tasks:create"), {"title": "Test Task 2"})
        self.client.post(reverse("tasks:create"), {"title": "test task"})
        self.assertEqual(mail.outbox, [])
        self.assertEqual(Task.objects.count(), 2)

    def test_logged_in_author_gets_text_and_html_from_templates(self) -> None:
        get_user_model().objects.create_user("ann", email="ann@task.local", password="pw-ann-123")
        self.client.login(username="ann", password="pw-ann-123")
        self.client.post(
            reverse("tasks:create"), {"title": "Купить <молоко>", "description": "2 л"}
        )
        [message] = mail.outbox
        self.assertEqual(message.subject, "Задача «Купить <молоко>» создана")
        self.assertEqual(message.to, ["ann@task.local"])
        self.assertIn("Задача «Купить <молоко>» создана.", message.body)
        [(html, mimetype)] = message.alternatives
        self.assertEqual(mimetype, "text/html")
        self.assertIn("<h1>Задача «Купить &lt;молоко&gt;» создана</h1>", html)
        self.assertIn('href="http://testserver/tasks/"', html)

    def test_empty_title_is_refused_and_sends_nothing(self) -> None:
        response = self.client.post(reverse("tasks:create"), {"title": ""})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(mail.outbox, [])
