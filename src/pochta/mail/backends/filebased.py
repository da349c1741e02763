"""An email backend that appends messages to a file in a folder (``file_path``)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from pochta.exceptions import ConfigurationError, InvalidMailer
from pochta.mail import settings
from pochta.mail.backends.console import SEPARATOR
from pochta.mail.backends.console import EmailBackend as ConsoleEmailBackend

__all__ = ["EmailBackend"]


def _legacy_folder(file_path: str | os.PathLike[str] | None) -> str:
    """Check the folder given the old way (``EMAIL_FILE_PATH``); Django's words, then a hint."""
    if file_path is None or str(file_path) == "":
        raise ConfigurationError(
            "The EMAIL_FILE_PATH setting must be set to use the file EmailBackend; "
            "give the folder for saved messages in EMAIL_FILE_PATH or as file_path="
        )
    folder = os.path.abspath(file_path)
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:
        raise ConfigurationError(
            f"Path for saving email messages exists, but is not a directory: {folder}; "
            "give a folder"
        ) from None
    except OSError as error:
        raise ConfigurationError(
            f"Could not create directory for saving email messages: {folder} ({error}); "
            "give a folder that can be created"
        ) from None
    if not os.access(folder, os.W_OK):
        raise ConfigurationError(
            f"Could not write to directory: {folder}; give a folder you can write to"
        )
    return folder


def _mailer_folder(file_path: str | os.PathLike[str] | None, alias: str) -> str:
    """Check the ``file_path`` option of a ``MAILERS`` entry, with Django 6.1's errors."""
    if file_path is None:
        raise InvalidMailer("OPTIONS must define 'file_path'.", alias=alias)
    folder = os.path.abspath(file_path)
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:
        raise InvalidMailer(f"'file_path' is not a directory: {folder}", alias=alias) from None
    except OSError as error:
        raise InvalidMailer(
            f"Could not create 'file_path': {folder} ({error})", alias=alias
        ) from None
    if not os.access(folder, os.W_OK):
        raise InvalidMailer(f"'file_path' is not writable: {folder}", alias=alias)
    return folder


class EmailBackend(ConsoleEmailBackend):
    """Write messages to a file instead of sending them, as Django's file backend.

    Each backend (one per ``send_mail`` call, or per ``with`` block) writes one file
    named ``%Y%m%d-%H%M%S-<id>.log`` in the folder, created when missing; messages
    are separated by a line of 79 dashes. Options: ``file_path`` (required in
    ``MAILERS``; made the old way it defaults to ``EMAIL_FILE_PATH``) and
    ``fail_silently``. A ``file_path`` that is not a path raises Python's own
    ``TypeError``, as in Django.
    """

    def __init__(
        self,
        fail_silently: bool = False,
        file_path: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        # The console backend's stream is the file here, opened on demand.
        kwargs.pop("stream", None)
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.stream = None
        self._fname: str | None = None
        if self.alias is not None:
            self.file_path = _mailer_folder(file_path, self.alias)
            return
        if file_path is None:
            file_path = settings.get_setting("EMAIL_FILE_PATH")
        self.file_path = _legacy_folder(file_path)

    def write_message(self, data: bytes) -> None:
        """Append one rendered message and the separator line to the file."""
        self.stream.write(data + b"\n")
        self.stream.write(SEPARATOR + b"\n")

    def _get_filename(self) -> str:
        """Return this backend's file name, choosing it on first use."""
        if self._fname is None:
            timestamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            self._fname = os.path.join(self.file_path, f"{timestamp}-{abs(id(self))}.log")
        return self._fname

    def open(self) -> bool:
        """Open the file for appending unless it is open; return whether it was opened."""
        if self.stream is None:
            self.stream = open(self._get_filename(), "ab")  # noqa: SIM115
            return True
        return False

    def close(self) -> None:
        """Close the file, if open."""
        try:
            if self.stream is not None:
                self.stream.close()
        finally:
            self.stream = None
