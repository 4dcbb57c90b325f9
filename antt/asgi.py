import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antt.settings")
application = get_asgi_application()

# The digest of the code in the keys of kept pages and fragments (antt/web/fragments.py, issue 23,
# round 9), read once at start-up rather than by the first request.
from antt.web.fragments import code_digest  # noqa: E402 - once Django is set up

code_digest()
