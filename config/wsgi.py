import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
application = get_wsgi_application()
# What importing the project created (Django, the apps, their modules) lives as long as the process: out
# of the garbage collector's sight, a full collection no longer walks it — a pause in whichever request
# triggers one (103 -> 7 ms in bench/profile_flow.py --gc, docs/benchmarks.md). The rest is collected
# as ever.
gc.freeze()
