"""Create the demo accounts biller, supervisor and admin, and print their passwords.

Idempotent: passwords are generated once and kept in var/demo-accounts.txt (mode 600); later runs
reuse them. An account whose password is not in that file (the file was removed) gets a new one.
Refuses to run with DEBUG off unless --force: demo accounts have no place in production.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from claims.roles import BILLING_STAFF, SUPERVISORS, roles_ensure

SUPERUSER = "superuser"
# username, role (a group name, or SUPERUSER), is_staff (may open the admin)
DEMO_ACCOUNTS: tuple[tuple[str, str, bool], ...] = (
    ("biller", BILLING_STAFF, False),
    ("supervisor", SUPERVISORS, True),
    ("admin", SUPERUSER, True),
)
SEPARATOR = " / "
ALPHABET = string.ascii_letters + string.digits


def password_generate(length: int = 20) -> str:
    """A random password of letters and digits (about 119 bits for 20 characters)."""
    while True:
        password = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def default_accounts_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-accounts.txt"


def accounts_read(path: Path) -> dict[str, str]:
    """username -> password from the accounts file (missing file: nothing stored)."""
    if not path.exists():
        return {}
    stored = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(SEPARATOR)
        if len(parts) == 3 and parts[0] != "username":
            stored[parts[0].strip()] = parts[1].strip()
    return stored


def accounts_write(path: Path, lines: list[str]) -> None:
    """Write the accounts file readable by its owner only (mode 600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


class Command(BaseCommand):
    help = "Create the demo accounts biller (Billing staff), supervisor (Supervisors) and admin (superuser)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (not for production).")
        parser.add_argument(
            "--file", type=Path, default=None, help="Where the passwords are kept (default: var/demo-accounts.txt)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG is off: demo accounts are for development only (use --force to insist).")
        path: Path = options["file"] or default_accounts_file()
        stored = accounts_read(path)
        User = get_user_model()
        lines = [f"username{SEPARATOR}password{SEPARATOR}role"]
        with transaction.atomic():
            roles_ensure()
            for username, role, is_staff in DEMO_ACCOUNTS:
                user = User.objects.filter(username=username).first()
                password = stored.get(username)
                if user is None:
                    user = User(username=username)
                    password = password or password_generate()
                    user.set_password(password)
                elif password is None:
                    # The file is gone: the old password is unknown, so set and store a new one.
                    password = password_generate()
                    user.set_password(password)
                elif not user.check_password(password):
                    user.set_password(password)
                user.is_active = True
                user.is_staff = is_staff
                user.is_superuser = role == SUPERUSER
                user.save()
                if role != SUPERUSER:
                    user.groups.add(Group.objects.get(name=role))
                lines.append(f"{username}{SEPARATOR}{password}{SEPARATOR}{role}")
            accounts_write(path, lines)
        self.stdout.write("\n".join(lines))
        self.stdout.write(f"(kept in {path}, readable by you only)")
