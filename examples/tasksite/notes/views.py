"""Category pages; opening one mails CATEGORY_RECIPIENTS, as seed 003's view does."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from notes.models import Category


def category_list(request: HttpRequest) -> HttpResponse:
    """List the categories."""
    return render(request, "notes/category_list.html", {"categories": Category.objects.all()})


def category_detail(request: HttpRequest, category_id: int) -> HttpResponse:
    """Show a category and mail the users that they received its data (seed 003)."""
    template_name = "notes/category_detail.html"
    category = get_object_or_404(Category, id=category_id)
    context = {"category": category}
    send_mail(
        subject="Вы получили данные о категории",
        message="Вы довольны нашим сервисом?",
        from_email="qwerty@mail.ru",
        recipient_list=settings.CATEGORY_RECIPIENTS,
        fail_silently=True,
    )
    return render(request, template_name, context)
