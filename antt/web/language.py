"""Vietnamese for everyone, whatever the browser says.

Django's LocaleMiddleware follows Accept-Language, so an office PC with English Windows would
get an English antt. Here the language is ``settings.LANGUAGE_CODE`` (vi) unless the user
picked another one explicitly (the language cookie, e.g. through Django's set_language view).
"""

from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
