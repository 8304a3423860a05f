"""An e-mail backend that writes each message to its own .eml file, for local runs: a person can
open it in a mail program or a text editor and follow the links."""

import itertools
import re
import threading
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

_counter = itertools.count(1)
_lock = threading.Lock()


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args, file_path: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            with _lock:
                number = next(_counter)
            # Letters of every language (a Chinese subject too), so that the file names say what each e-mail is.
            slug = re.sub(r"[\W_]+", "-", message.subject).strip("-")[:60]
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            path = self.directory / f"{stamp}-{number:04d}-{slug}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(email_messages)
