"""The WSGI entry point (what gunicorn serves) moves what importing the project created out of the
garbage collector's generations."""

import os
import subprocess
import sys
from pathlib import Path


def test_the_wsgi_module_freezes_what_startup_created() -> None:
    root = Path(__file__).resolve().parents[3]
    code = "import gc; n = gc.get_freeze_count(); import config.wsgi; print(n, gc.get_freeze_count())"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    before, after = (int(x) for x in out.stdout.split())
    assert before == 0
    assert after > 10_000  # Django and the apps: tens of thousands of objects
