"""Mail backends that keep messages on this machine: a folder of ``.eml`` files, or the console.

``MAIL_BACKEND=file`` (what ``make run`` uses) writes every invitation and reminder to
``MAIL_FOLDER`` (``instance/mail/`` by default) as one ``.eml`` file, which any mail program
opens; ``MAIL_BACKEND=console`` prints it to standard output. Either lets "Send invitations"
work on a machine without a mail server, and a new user read the links the messages carry.

Both stand in for the SMTP connection of :mod:`survey.services.mailing` (the methods it uses:
``has_extn``, ``send_message``, ``rset``, ``quit``, ``close``), and call ``before_end`` just
before a message is complete, as the SMTP client does before the line that ends it, so the
at-most-once record keeping is the same whichever backend runs.

The messages carry the respondents' links, their only credential: the folder and the files are
readable by their owner alone, and neither backend is meant for production.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

BACKENDS = ("smtp", "file", "console")

log = logging.getLogger(__name__)


class _LocalTransport:
    """What the mailing service needs of a connection; subclasses say where a message goes."""

    before_end: Callable[[], None] = staticmethod(lambda: None)

    def has_extn(self, name: str) -> bool:
        return name.lower() == "smtputf8"  # any address can be written down

    def send_message(self, message: EmailMessage) -> None:
        content = message.as_bytes(policy=policy.SMTPUTF8)
        self.before_end()
        self.write(message, content)

    def write(self, message: EmailMessage, content: bytes) -> None:
        raise NotImplementedError

    def rset(self) -> None:
        pass

    def quit(self) -> None:
        pass

    def close(self) -> None:
        pass


class FileTransport(_LocalTransport):
    """Writes each message to ``folder`` as ``<UTC time>-<random>.eml`` (whole, or not at all)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.written: list[Path] = []

    def write(self, message: EmailMessage, content: bytes) -> None:
        name = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / (name + ".part")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        os.replace(partial, self.folder / name)  # a reader never sees half a message
        self.written.append(self.folder / name)


class ConsoleTransport(_LocalTransport):
    """Prints each message to standard output, between two rules."""

    def write(self, message: EmailMessage, content: bytes) -> None:
        rule = "-" * 72
        text = content.decode("utf-8", "replace")
        sys.stdout.write(f"{rule}\n{text.rstrip()}\n{rule}\n")
        sys.stdout.flush()


def open_local(backend: str, folder: str) -> _LocalTransport:
    """The transport of a ``file`` or ``console`` backend (``folder`` is the file backend's)."""
    if backend == "file":
        if not folder:
            raise ValueError("MAIL_FOLDER is empty: the file mail backend needs a folder to write to")
        log.info("Mail backend 'file': messages are written to %s", folder)
        return FileTransport(folder)
    if backend == "console":
        return ConsoleTransport()
    raise ValueError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
