"""Mail the report with the file attached, as seed 003's ``send_with_attachment`` does."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

#: The report shipped with the site.
REPORT_FILE = Path(__file__).resolve().parent / "files" / "report.pdf"


@require_http_methods(["GET", "POST"])
def send_with_attachment(request: HttpRequest) -> HttpResponse:
    """GET shows a button; POST mails the report to REPORT_RECIPIENTS."""
    if request.method == "GET":
        return render(request, "reports/report.html")
    email = EmailMessage(
        subject="Отчёт",
        body="Во вложении файл.",
        to=settings.REPORT_RECIPIENTS,
    )
    email.attach_file(REPORT_FILE)
    email.send()
    return HttpResponse("Письмо с файлом отправлено!", content_type="text/plain; charset=utf-8")
