"""Notes: opening a category mails the users (seed 003's category_detail)."""

from __future__ import annotations

from django.core import mail
from django.test import TestCase
from django.urls import reverse

from notes.models import Category


class CategoryTests(TestCase):
    """The category page."""

    def test_category_page_mails_the_users(self) -> None:
        category = Category.objects.get(title="Работа")
        response = self.client.get(reverse("notes:detail", args=[category.id]))
        self.assertContains(response, "Заметки о работе.")
        [message] = mail.outbox
        self.assertEqual(
            (message.subject, message.body, message.from_email, message.to),
            (
                "Вы получили данные о категории",
                "Вы довольны нашим сервисом?",
                "qwerty@mail.ru",
                ["user1@mail.ru", "user2@mail.ru"],
            ),
        )

    def test_missing_category_is_404_and_sends_nothing(self) -> None:
        response = self.client.get(reverse("notes:detail", args=[9999]))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(mail.outbox, [])

    def test_list_sends_nothing(self) -> None:
        response = self.client.get(reverse("notes:list"))
        self.assertContains(response, "Дом")
        self.assertEqual(mail.outbox, [])
