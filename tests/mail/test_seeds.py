"""The seeds' examples (shared/seeds/*.txt), as written, with only the import line changed."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest

import pochta.mail
from pochta.mail import configure

# Django 6.0's settings, kept working; their Django 6.1 warnings are in test_deprecation.py.
pytestmark = pytest.mark.filterwarnings(
    "ignore::pochta.mail.deprecation.RemovedInDjango2028Warning"
)

SEPARATOR = b"-" * 79


@pytest.fixture
def sent_emails(tmp_path: Path) -> Path:
    """settings.py of the seeds: the file backend writing to BASE_DIR / 'sent_emails'."""
    BASE_DIR = tmp_path
    configure(
        EMAIL_BACKEND="pochta.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=BASE_DIR / "sent_emails",
    )
    return BASE_DIR / "sent_emails"


def read_messages(folder: Path) -> list[email.message.EmailMessage]:
    messages = []
    for log in sorted(folder.iterdir()):
        for chunk in log.read_bytes().split(SEPARATOR + b"\n")[:-1]:
            messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages


def test_beatles_form_notification_matches_the_seed_sample(sent_emails: Path) -> None:
    # birthday/forms.py (seed 001), the body of BirthdayForm.clean():
    from pochta.mail import send_mail

    BEATLES = {"Джон Леннон", "Пол Маккартни", "Джордж Харрисон", "Ринго Старр"}
    first_name, last_name = "Ринго", "Старр"
    if f"{first_name} {last_name}" in BEATLES:
        send_mail(
            subject="Another Beatles member",
            message=f"{first_name} {last_name} пытался опубликовать запись!",
            from_email="birthday_form@acme.not",
            recipient_list=["admin@acme.not"],
            fail_silently=True,
        )

    [log] = sent_emails.iterdir()
    text = log.read_bytes().decode()
    # The seed's sample file, with the Date and Message-ID values left open.
    sample = re.compile(
        r'Content-Type: text/plain; charset="utf-8"\n'
        r"MIME-Version: 1\.0\n"
        r"Content-Transfer-Encoding: 8bit\n"
        r"Subject: Another Beatles member\n"
        r"From: birthday_form@acme\.not\n"
        r"To: admin@acme\.not\n"
        r"Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]0000\n"
        r"Message-ID: <[^>\n]+>\n"
        r"\n"
        r"Ринго Старр пытался опубликовать запись!\n"
        r"\n"
        r"-{79}\n\Z"
    )
    assert sample.match(text), text


def test_seed_000_positional_send_mail(sent_emails: Path) -> None:
    from pochta.mail import send_mail

    sent = send_mail(
        "Тема письма",
        "Текст письма.",
        "from@example.com",  # Это поле "От кого"
        ["to@example.com"],  # Это поле "Кому" (можно указать список адресов)
        fail_silently=False,  # Сообщать об ошибках («молчать ли об ошибках?»)
    )

    assert sent == 1
    [message] = read_messages(sent_emails)
    # The file backend adds a blank line after each message, as Django's does.
    assert (str(message["Subject"]), message.get_content()) == ("Тема письма", "Текст письма.\n\n")


def test_seed_003_listed_arguments(sent_emails: Path) -> None:
    from pochta.mail import send_mail

    subject = "Тема сообщения"
    message = "Текстовое содержимое сообщения"
    from_email = "from@example.com"
    recipient_list = ["to1@example.com", "to2@example.com"]

    send_mail(subject, message, from_email, recipient_list)

    [sent] = read_messages(sent_emails)
    assert (str(sent["To"]), str(sent["From"])) == (
        "to1@example.com, to2@example.com",
        "from@example.com",
    )


def test_seed_004_task_form_and_category_view(sent_emails: Path) -> None:
    from pochta.mail import send_mail

    title = "Test Task"
    if title == "Test Task":
        send_mail(
            subject="Попытка создать тестовую задачу",
            message=f'Пользователь попробовал завести задачу с именем "{title}"',
            from_email="task_form@task.local",
            recipient_list=["admin@task.local"],
            fail_silently=True,
        )
    send_mail(
        subject="Вы получили данные о категории",
        message="Вы довольны нашим сервисом?",
        from_email="qwerty@mail.ru",
        recipient_list=["user1@mail.ru", "user2@mail.ru"],
        fail_silently=True,
    )

    # One log per send_mail call; two logs of the same second differ only by a random
    # id in their names, so their order is not the order of sending.
    assert sorted(
        (str(m["Subject"]), str(m["From"]), str(m["To"])) for m in read_messages(sent_emails)
    ) == [
        ("Вы получили данные о категории", "qwerty@mail.ru", "user1@mail.ru, user2@mail.ru"),
        ("Попытка создать тестовую задачу", "task_form@task.local", "admin@task.local"),
    ]


def test_seed_004_email_message_with_attached_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(EMAIL_BACKEND="pochta.mail.backends.locmem.EmailBackend")
    monkeypatch.chdir(tmp_path)
    Path("report.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    from pochta.mail import EmailMessage

    def send_with_attachment() -> str:
        email = EmailMessage(
            subject="Отчёт",
            body="Во вложении файл.",
            from_email="your_email@gmail.com",
            to=["receiver@example.com"],
        )
        email.attach_file("report.pdf")
        email.send()
        return "Письмо с файлом отправлено!"

    assert send_with_attachment() == "Письмо с файлом отправлено!"
    [sent] = pochta.mail.outbox
    assert sent.attachments == [
        ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf")
    ]


def test_fail_silently_true_survives_an_unreachable_server() -> None:
    # The seeds' advice: fail_silently=True keeps a form working when SMTP is down.
    from tests.mail.smtp_peer import free_port

    configure(EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port())
    from pochta.mail import send_mail

    sent = send_mail(
        subject="Тема письма",
        message="Текст сообщения",
        from_email="from@example.com",
        recipient_list=["to@example.com"],
        fail_silently=True,
    )

    assert sent == 0
