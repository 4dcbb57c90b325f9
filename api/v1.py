"""The URLs of /api/v1/ (namespace ``api-v1``): django-ninja's, each wrapped so that a request
made with a token leaves a row in that token's trail."""

from api.http import with_trail
from api.main import api

patterns, _app_name, namespace = api.urls
app_name = namespace  # "api-v1": ninja's docs page reverses its schema URL by it
for pattern in patterns:
    if pattern.callback is not None:
        pattern.callback = with_trail(pattern.callback)
urlpatterns = patterns
