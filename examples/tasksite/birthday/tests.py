"""Birthday: a Beatle's name mails the admin (seeds 001, 002) and the form refuses it."""

from __future__ import annotations

import django
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from birthday.models import Birthday


class BeatlesTests(TestCase):
    """The Beatles form."""

    def post(self, first_name: str, last_name: str) -> object:
        return self.client.post(
            reverse("birthday:create"),
            {"first_name": first_name, "last_name": last_name, "birthday": "1940-07-07"},
        )

    def test_beatle_mails_the_admin_and_is_refused(self) -> None:
        response = self.post("Ринго", "Старр")
        self.assertContains(
            response, "Мы тоже любим Битлз, но введите, пожалуйста, настоящее имя!"
        )
        [message] = mail.outbox
        self.assertEqual(
            (message.subject, message.body, message.from_email, message.to),
            (
                "Another Beatles member",
                "Ринго Старр пытался опубликовать запись!",
                "birthday_form@acme.not",
                ["admin@acme.not"],
            ),
        )
        self.assertEqual(Birthday.objects.count(), 0)
        if django.VERSION >= (6, 1):
            # Django 6.1's test runner makes every MAILERS entry a locmem one.
            self.assertEqual(message.sent_using, "default")

    def test_every_beatle_is_reported(self) -> None:
        for name in ("Джон Леннон", "Пол Маккартни", "Джордж Харрисон", "Ринго Старр"):
            self.post(*name.split())
        self.assertEqual(
            [m.body for m in mail.outbox],
            [
                "Джон Леннон пытался опубликовать запись!",
                "Пол Маккартни пытался опубликовать запись!",
                "Джордж Харрисон пытался опубликовать запись!",
                "Ринго Старр пытался опубликовать запись!",
            ],
        )

    def test_other_names_are_saved_without_mail(self) -> None:
        response = self.post("Ринго", "Стар")
        self.assertRedirects(response, reverse("birthday:list"))
        self.assertEqual(mail.outbox, [])
        self.assertEqual(str(Birthday.objects.get()), "Ринго Стар")

    def test_missing_first_name_sends_nothing(self) -> None:
        response = self.post("", "Старр")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(mail.outbox, [])
