"""Fail when a zh_Hans catalog is out of date, has an untranslated entry or a fuzzy one.

``--update`` refreshes the catalogs from the sources instead (translations already made are kept).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

LOCALE = "zh_Hans"


def parse_po(text: str) -> list[dict[str, Any]]:
    """Entries of a .po file: msgid, msgstr(s) and whether it is fuzzy (header excluded)."""
    entries: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.lstrip().startswith("#~"):
            continue
        fuzzy = bool(re.search(r"^#,.*\bfuzzy\b", block, re.M))
        current: str | None = None
        parts: dict[str, str] = {}
        for line in block.splitlines():
            m = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?|msgctxt)\s+"(.*)"$', line)
            if m:
                current = m.group(1)
                parts[current] = m.group(2)
            elif line.startswith('"') and current:
                parts[current] += line[1:-1]
        if "msgid" not in parts or parts["msgid"] == "":
            continue
        strs = [v for k, v in parts.items() if k.startswith("msgstr")]
        entries.append(
            {
                "msgid": parts["msgid"],
                "ctx": parts.get("msgctxt"),
                "translated": all(strs) and bool(strs),
                "fuzzy": fuzzy,
            }
        )
    return entries


class Command(BaseCommand):
    help = "Check (or --update) the zh_Hans catalogs of every app."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--update", action="store_true", help="rewrite the catalogs from the sources")

    def _makemessages(self, app_dir: Path) -> None:
        subprocess.run(
            [
                "django-admin",
                "makemessages",
                "-l",
                LOCALE,
                "--no-obsolete",
                "--no-location",
                "-e",
                "html,py,txt",
                "--settings",
                "config.settings.test",
                "--pythonpath",
                str(settings.BASE_DIR),
            ],
            cwd=app_dir,
            check=True,
            capture_output=True,
            env={
                **__import__("os").environ,
                "PATH": f"{Path(__import__('sys').executable).parent}:"
                + __import__("os").environ.get("PATH", ""),
            },
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = Path(settings.BASE_DIR) / "salesdesk"
        apps = sorted(p.parent.name for p in base.glob("*/apps.py"))
        problems: list[str] = []
        for app in apps:
            app_dir = base / app
            po = app_dir / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
            if options["update"]:
                (app_dir / "locale").mkdir(exist_ok=True)
                self._makemessages(app_dir)
                continue
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / app
                shutil.copytree(app_dir, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo"))
                (copy / "locale").mkdir(exist_ok=True)
                self._makemessages(copy)
                fresh_po = copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
                fresh = parse_po(fresh_po.read_text(encoding="utf-8")) if fresh_po.exists() else []
            current = parse_po(po.read_text(encoding="utf-8")) if po.exists() else []
            known = {(e["ctx"], e["msgid"]) for e in current}
            for entry in fresh:
                if (entry["ctx"], entry["msgid"]) not in known:
                    problems.append(f"{app}: not in the catalog (run `make messages`): {entry['msgid']!r}")
            for entry in current:
                if entry["fuzzy"]:
                    problems.append(f"{app}: fuzzy: {entry['msgid']!r}")
                elif not entry["translated"]:
                    problems.append(f"{app}: untranslated: {entry['msgid']!r}")
        if problems:
            raise CommandError("zh_Hans catalogs are incomplete:\n  " + "\n  ".join(problems))
        if not options["update"]:
            self.stdout.write("translations: ok")
