"""Write the OpenAPI schema to a file, or --check that the committed file matches the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation


class Command(BaseCommand):
    help = "Export the OpenAPI schema (openapi.json) or check it for drift."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", help="file to write")
        parser.add_argument("--check", help="file to compare with")

    def handle(self, *args: Any, **options: Any) -> None:
        from config.api import api

        with translation.override("en"):
            schema = api.get_openapi_schema(path_prefix="/api/")
        text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        if options["check"]:
            path = Path(options["check"])
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} does not match the API; run `make openapi` and commit it.")
            self.stdout.write("openapi: ok")
            return
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text)
