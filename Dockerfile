# OctoAcme Releases: one image for web (gunicorn), worker and beat (celery) and migrations.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

# Dependencies first, from pyproject.toml, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
COPY octoacme/__init__.py octoacme/__init__.py
COPY notifications/__init__.py notifications/__init__.py
COPY releases/__init__.py releases/__init__.py
COPY signoffs/__init__.py signoffs/__init__.py
RUN pip install -e .

COPY . .
# Hashed, compressed static files for whitenoise; the key is a placeholder used only here.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret REDIS_URL=redis://unused:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R app:app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "octoacme.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*"]
