"""Accounts: sign up, log in/out, password change, and the whole password-reset story."""

from __future__ import annotations

import io
import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import TestCase
from django.urls import reverse

RESET_LINK = re.compile(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")


class PasswordResetTests(TestCase):
    """The reset flow of django.contrib.auth, read back from django.core.mail.outbox."""

    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user(
            "ann", email="ann@task.local", password="old-password-1"
        )

    def request_reset(self, email: str) -> None:
        response = self.client.post(reverse("password_reset"), {"email": email})
        self.assertRedirects(response, reverse("password_reset_done"))

    def test_known_address_gets_one_message_with_a_one_time_link(self) -> None:
        self.request_reset("ann@task.local")
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.subject, "Восстановление пароля на testserver")
        self.assertEqual(message.to, ["ann@task.local"])
        self.assertEqual(message.from_email, "noreply@task.local")
        self.assertIn("Здравствуйте, ann!", message.body)
        self.assertRegex(message.body, RESET_LINK)

    def test_reset_message_has_an_html_alternative_with_the_same_link(self) -> None:
        self.request_reset("ann@task.local")
        message = mail.outbox[0]
        [(html, mimetype)] = message.alternatives
        self.assertEqual(mimetype, "text/html")
        link = RESET_LINK.search(message.body)
        assert link is not None
        self.assertIn(f'href="{link[0]}"', html)

    def test_link_sets_a_new_password_once(self) -> None:
        self.request_reset("ann@task.local")
        link = RESET_LINK.search(mail.outbox[0].body)
        assert link is not None
        form_page = self.client.get(link[1], follow=True)
        self.assertTrue(form_page.context["validlink"])
        set_password_url = form_page.redirect_chain[-1][0]
        done = self.client.post(
            set_password_url,
            {"new_password1": "new-password-2", "new_password2": "new-password-2"},
        )
        self.assertRedirects(done, reverse("password_reset_complete"))
        self.assertTrue(self.client.login(username="ann", password="new-password-2"))
        self.assertFalse(self.client.login(username="ann", password="old-password-1"))
        self.client.logout()
        again = self.client.get(link[1], follow=True)
        self.assertFalse(again.context["validlink"])

    def test_unknown_address_shows_the_same_page_and_sends_nothing(self) -> None:
        response = self.client.post(
            reverse("password_reset"), {"email": "nobody@task.local"}, follow=True
        )
        self.assertContains(response, 'id="reset-done"')
        self.assertEqual(mail.outbox, [])

    def test_malformed_address_is_refused_and_sends_nothing(self) -> None:
        response = self.client.post(reverse("password_reset"), {"email": "ann@\nBcc: x@y"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors)
        self.assertEqual(mail.outbox, [])


class AccountTests(TestCase):
    """Sign up, log in, log out and change the password."""

    def test_sign_up_logs_the_new_user_in(self) -> None:
        response = self.client.post(
            reverse("accounts:signup"),
            {
                "username": "bob",
                "email": "bob@task.local",
                "password1": "bob-password-1",
                "password2": "bob-password-1",
            },
            follow=True,
        )
        self.assertContains(response, '<span id="who">bob</span>', html=True)
        self.assertEqual(get_user_model().objects.get(username="bob").email, "bob@task.local")

    def test_sign_up_refuses_an_address_already_taken(self) -> None:
        get_user_model().objects.create_user("ann", email="ann@task.local")
        response = self.client.post(
            reverse("accounts:signup"),
            {
                "username": "ann2",
                "email": "ANN@task.local",
                "password1": "ann-password-1",
                "password2": "ann-password-1",
            },
        )
        self.assertEqual(response.context["form"].errors, {"email": ["Этот адрес уже занят."]})

    def test_log_in_and_out(self) -> None:
        get_user_model().objects.create_user("ann", password="ann-password-1")
        response = self.client.post(
            reverse("login"), {"username": "ann", "password": "ann-password-1"}, follow=True
        )
        self.assertContains(response, '<span id="who">ann</span>', html=True)
        response = self.client.post(reverse("logout"), follow=True)
        self.assertNotContains(response, 'id="who"')

    def test_wrong_password_is_refused(self) -> None:
        get_user_model().objects.create_user("ann", password="ann-password-1")
        response = self.client.post(reverse("login"), {"username": "ann", "password": "nope"})
        self.assertContains(response, 'id="login-error"')

    def test_password_change(self) -> None:
        get_user_model().objects.create_user("ann", password="ann-password-1")
        self.client.login(username="ann", password="ann-password-1")
        response = self.client.post(
            reverse("password_change"),
            {
                "old_password": "ann-password-1",
                "new_password1": "ann-password-2",
                "new_password2": "ann-password-2",
            },
        )
        self.assertRedirects(response, reverse("password_change_done"))
        self.client.logout()
        self.assertTrue(self.client.login(username="ann", password="ann-password-2"))


class DemoUserCommandTests(TestCase):
    """``manage.py demo_user`` creates the demo account, and resets it when run again."""

    def test_creates_then_resets(self) -> None:
        from django.core.management import call_command

        out = io.StringIO()
        call_command("demo_user", stdout=out)
        user = get_user_model().objects.get(username="demo")
        user.set_password("changed")
        user.save()
        call_command("demo_user", stdout=out)
        user.refresh_from_db()
        self.assertEqual(user.email, "demo@task.local")
        self.assertTrue(user.check_password("demo-password-1"))
        self.assertEqual(
            out.getvalue(),
            "demo user demo <demo@task.local> created\ndemo user demo <demo@task.local> reset\n",
        )
