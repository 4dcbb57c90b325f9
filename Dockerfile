# Production image for web, worker and beat (see docker-compose.yml).
FROM python:3.12-slim-bookworm

# Same Debian packages as scripts/bootstrap: WeasyPrint's layout (pango) with HarfBuzz subsetting,
# Liberation fonts (every Vietnamese letter), poppler (PDF tools), gettext.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-liberation2 poppler-utils gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --uid 1000 antt \
    && mkdir -p /data/media && chown antt: /data/media

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=antt.settings \
    ANTT_VAR_DIR=/tmp/antt \
    STATIC_ROOT=/app/staticfiles \
    STATIC_MANIFEST=1 \
    MEDIA_ROOT=/data/media

WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir uv \
    && uv pip install --system --no-cache --compile-bytecode -r requirements.lock
COPY . .
RUN python manage.py collectstatic --noinput -v 0

USER antt
EXPOSE 8000
CMD ["gunicorn", "antt.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*", \
     "--limit-request-line", "8190", "--limit-request-fields", "100", "--limit-request-field_size", "8190"]
