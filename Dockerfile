# One image, four processes (docker-compose.yml; a starting point for a production image):
#   web        gunicorn -c gunicorn.conf.py augeo.wsgi:application   (HTTP; the default command below)
#   ws         gunicorn -c gunicorn.conf.py augeo.asgi:application   (the /ws/ WebSocket, uvicorn workers)
#   worker     python manage.py run_worker        (runs tasks; as many as needed)
#   scheduler  python manage.py run_scheduler     (enqueues scheduled jobs; one)
# Before starting a release: python manage.py migrate --noinput && python manage.py ensure_storage
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=augeo.settings.production

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/production.txt

COPY . .
# Static files are baked into the image (WhiteNoise serves them); build-time placeholders satisfy the
# production settings' required variables, nothing connects anywhere.
RUN DJANGO_SECRET_KEY=build-only-placeholder-key-not-used-at-runtime-3f9a7c1e5b2d8f4a6c0e \
    DJANGO_ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build PAYMENT_PROVIDER=embedded \
    python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 augeo && mkdir -p /tmp/augeo-prometheus && chown augeo /tmp/augeo-prometheus
USER augeo

EXPOSE 8000
# HTTP: WSGI sync workers (measured fastest, docs/operations.md "The servers"). The live-update
# WebSocket runs from the same image as a second service: `gunicorn -c gunicorn.conf.py
# augeo.asgi:application` (uvicorn workers), with the reverse proxy sending /ws/ to it.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "augeo.wsgi:application"]
