"""BirthdayForm, as seeds 001 and 002 write it: a Beatle's name mails the admin and is refused."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.mail import send_mail

from birthday.models import Birthday

BEATLES = {"Джон Леннон", "Пол Маккартни", "Джордж Харрисон", "Ринго Старр"}


class BirthdayForm(forms.ModelForm):
    """Record a birthday, unless the name is a Beatle's."""

    class Meta:
        model = Birthday
        fields = "__all__"
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"})}

    def clean(self) -> dict[str, Any]:
        """Mail admin@acme.not and refuse the form when a Beatle's name is given."""
        super().clean()
        first_name = self.cleaned_data.get("first_name")
        last_name = self.cleaned_data.get("last_name")
        if f"{first_name} {last_name}" in BEATLES:
            # Seed 001: send a letter whenever someone introduces themselves as a Beatle.
            send_mail(
                subject="Another Beatles member",
                message=f"{first_name} {last_name} пытался опубликовать запись!",
                from_email="birthday_form@acme.not",
                recipient_list=["admin@acme.not"],
                fail_silently=True,
            )
            raise ValidationError("Мы тоже любим Битлз, но введите, пожалуйста, настоящее имя!")
        return self.cleaned_data
