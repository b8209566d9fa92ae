"""The workbench's figures, each from the selector of its area."""

from __future__ import annotations

from typing import Any


def workbench_context(user: Any) -> dict[str, Any]:
    return {}
