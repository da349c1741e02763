"""The seeds' notifications through the real Task site into a real ``pochta serve``.

The site runs under ``manage.py runserver``; forms are posted with httpx, CSRF
token included; the mail is read back through the catcher's API.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.django.django_site import SITE, Site, post_form

if TYPE_CHECKING:
    from tests.conftest import ServeProcess


@pytest.fixture
def browser(tasksite: Site) -> Iterator[httpx.Client]:
    """A cookie-keeping client of the site, as one visitor."""
    with httpx.Client(base_url=tasksite.url, timeout=20) as client:
        yield client


def read(server: ServeProcess, subject: str) -> dict[str, Any]:
    """Return the one stored message with ``subject``, as the API's Message."""
    listed = server.get("/api/v1/messages", params={"limit": 1000}).json()["messages"]
    ids = [m["ID"] for m in listed if m["Subject"] == subject]
    assert len(ids) == 1, [m["Subject"] for m in listed]
    message: dict[str, Any] = server.get(f"/api/v1/message/{ids[0]}").json()
    return message


def address(text: str) -> dict[str, str]:
    return {"Name": "", "Address": text}


def essentials(message: dict[str, Any]) -> dict[str, Any]:
    """Keep what the seeds show: subject, sender, recipients, text.

    The text ends in a newline: Django's message API ends every text part with one.
    """
    return {k: message[k] for k in ("Subject", "From", "To", "Text")}


def test_test_task_mails_the_admin(serve_process: ServeProcess, browser: httpx.Client) -> None:
    response = post_form(browser, "/tasks/new/", {"title": "Test Task", "description": ""})
    assert (response.status_code, response.headers["location"]) == (302, "/tasks/")
    message = read(serve_process, "Попытка создать тестовую задачу")
    assert essentials(message) == {
        "Subject": "Попытка создать тестовую задачу",
        "From": address("task_form@task.local"),
        "To": [address("admin@task.local")],
        "Text": 'Пользователь попробовал завести задачу с именем "Test Task"\n',
    }


def test_a_beatle_mails_the_admin_and_is_refused(
    serve_process: ServeProcess, browser: httpx.Client
) -> None:
    response = post_form(
        browser,
        "/birthday/",
        {"first_name": "Джон", "last_name": "Леннон", "birthday": "1940-10-09"},
    )
    assert response.status_code == 200
    assert "Мы тоже любим Битлз, но введите, пожалуйста, настоящее имя!" in response.text
    assert essentials(read(serve_process, "Another Beatles member")) == {
        "Subject": "Another Beatles member",
        "From": address("birthday_form@acme.not"),
        "To": [address("admin@acme.not")],
        "Text": "Джон Леннон пытался опубликовать запись!\n",
    }


def test_category_page_mails_both_users(
    serve_process: ServeProcess, browser: httpx.Client
) -> None:
    assert browser.get("/notes/1/").status_code == 200
    assert essentials(read(serve_process, "Вы получили данные о категории")) == {
        "Subject": "Вы получили данные о категории",
        "From": address("qwerty@mail.ru"),
        "To": [address("user1@mail.ru"), address("user2@mail.ru")],
        "Text": "Вы довольны нашим сервисом?\n",
    }


def test_report_arrives_with_the_pdf(serve_process: ServeProcess, browser: httpx.Client) -> None:
    response = post_form(browser, "/reports/", {})
    assert response.text == "Письмо с файлом отправлено!"
    message = read(serve_process, "Отчёт")
    [attachment] = message["Attachments"]
    assert (attachment["FileName"], attachment["ContentType"]) == ("report.pdf", "application/pdf")
    part = serve_process.get(f"/api/v1/message/{message['ID']}/part/{attachment['PartID']}")
    assert part.content == (SITE / "reports" / "files" / "report.pdf").read_bytes()


def test_signed_up_author_gets_text_and_html(
    serve_process: ServeProcess, browser: httpx.Client
) -> None:
    signup = {
        "username": "ann",
        "email": "ann@task.local",
        "password1": "ann-password-1",
        "password2": "ann-password-1",
    }
    assert post_form(browser, "/accounts/signup/", signup).status_code == 302
    post_form(browser, "/tasks/new/", {"title": "Полить <цветы>", "description": "Все"})
    message = read(serve_process, "Задача «Полить <цветы>» создана")
    assert message["To"] == [address("ann@task.local")]
    assert message["Text"].startswith("Задача «Полить <цветы>» создана.\n\nВсе\n")
    assert "<h1>Задача «Полить &lt;цветы&gt;» создана</h1>" in message["HTML"]


def test_post_without_csrf_token_is_refused_and_sends_nothing(
    serve_process: ServeProcess, browser: httpx.Client
) -> None:
    before = serve_process.get("/api/v1/messages").json()["total"]
    response = browser.post("/tasks/new/", data={"title": "Test Task"})
    assert response.status_code == 403
    assert serve_process.get("/api/v1/messages").json()["total"] == before
