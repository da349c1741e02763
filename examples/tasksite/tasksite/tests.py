"""The site as a whole: server errors reach ADMINS by mail; pages render."""

from __future__ import annotations

from django.core import mail
from django.test import Client, TestCase, override_settings
from django.urls import reverse


class AdminErrorMailTests(TestCase):
    """Django's AdminEmailHandler mails every server error to ADMINS when DEBUG is False."""

    @override_settings(DEBUG=False)
    def test_server_error_is_mailed_to_admins(self) -> None:
        client = Client(raise_request_exception=False)
        response = client.get(reverse("boom"))
        self.assertEqual(response.status_code, 500)
        self.assertContains(response, "Администраторы уже получили письмо.", status_code=500)
        [message] = mail.outbox
        self.assertEqual(message.to, ["admin@task.local"])
        self.assertEqual(message.from_email, "server@task.local")
        self.assertEqual(
            message.subject, "[Django] ERROR (EXTERNAL IP): Internal Server Error: /boom/"
        )
        self.assertIn("BoomError at /boom/\nПроверка: письмо об ошибке для ADMINS", message.body)

    def test_home_page_links_every_mailing_page(self) -> None:
        response = self.client.get(reverse("home"))
        for name in ("tasks:create", "birthday:create", "notes:list", "reports:send"):
            self.assertContains(response, f'href="{reverse(name)}"')
        self.assertEqual(mail.outbox, [])
