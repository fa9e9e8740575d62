# One image for web (gunicorn), Celery worker and Celery beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 1000 rehab
WORKDIR /app

COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install -e . && pip uninstall -y back-rehab
COPY --chown=rehab:rehab . .
RUN SECRET_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --noinput

USER rehab
EXPOSE 8000
CMD ["gunicorn", "rehab.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
