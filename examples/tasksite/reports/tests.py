"""Reports: the report goes out with report.pdf attached (seed 003's EmailMessage example)."""

from __future__ import annotations

from django.core import mail
from django.test import TestCase
from django.urls import reverse

from reports.views import REPORT_FILE


class ReportTests(TestCase):
    """The report page."""

    def test_post_mails_the_report_with_the_file(self) -> None:
        response = self.client.post(reverse("reports:send"))
        self.assertContains(response, "Письмо с файлом отправлено!")
        [message] = mail.outbox
        self.assertEqual(
            (message.subject, message.body, message.from_email, message.to),
            ("Отчёт", "Во вложении файл.", "noreply@task.local", ["receiver@example.com"]),
        )
        [(name, content, mimetype)] = message.attachments
        self.assertEqual(
            (name, content, mimetype), ("report.pdf", REPORT_FILE.read_bytes(), "application/pdf")
        )
        self.assertTrue(content.startswith(b"%PDF-"))

    def test_get_only_shows_the_button(self) -> None:
        response = self.client.get(reverse("reports:send"))
        self.assertContains(response, "Отправить отчёт")
        self.assertEqual(mail.outbox, [])

    def test_other_methods_are_refused(self) -> None:
        response = self.client.put(reverse("reports:send"))
        self.assertEqual(response.status_code, 405)
        self.assertEqual(mail.outbox, [])
