"""An email backend that appends messages to a file in a folder (``EMAIL_FILE_PATH``)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from pochta.exceptions import ConfigurationError
from pochta.mail import settings
from pochta.mail.backends.console import SEPARATOR
from pochta.mail.backends.console import EmailBackend as ConsoleEmailBackend

__all__ = ["EmailBackend"]


def _prepare_folder(file_path: str | os.PathLike[str] | None) -> Path:
    if file_path is None or str(file_path) == "":
        raise ConfigurationError(
            "EMAIL_FILE_PATH is not set; give the folder for saved messages in "
            "EMAIL_FILE_PATH or as file_path="
        )
    folder = Path(file_path).absolute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigurationError(
            f"EMAIL_FILE_PATH '{folder}' exists but is not a folder; give a folder"
        ) from None
    except OSError as error:
        raise ConfigurationError(
            f"could not create the folder EMAIL_FILE_PATH '{folder}' ({error}); "
            "give a folder that can be created"
        ) from None
    if not os.access(folder, os.W_OK):
        raise ConfigurationError(
            f"EMAIL_FILE_PATH '{folder}' is not writable; give a folder you can write to"
        )
    return folder


class EmailBackend(ConsoleEmailBackend):
    """Write messages to a file instead of sending them, as Django's file backend.

    Each backend (one per ``send_mail`` call, or per ``with`` block) writes one file
    named ``%Y%m%d-%H%M%S-<id>.log`` in the folder, created when missing; messages
    are separated by a line of 79 dashes.
    """

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        file_path: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("stream", None)
        if file_path is None:
            file_path = settings.get_setting("EMAIL_FILE_PATH")
        self.file_path = str(_prepare_folder(file_path))
        self._fname: str | None = None
        super().__init__(fail_silently=fail_silently, **kwargs)
        # The console backend defaults to stdout; here the stream is the file, opened
        # on demand.
        self.stream = None

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
