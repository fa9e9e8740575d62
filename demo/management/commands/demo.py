"""Run the whole app locally: migrate, load the demo data, then web server, Celery worker and beat.

Needs nothing installed beyond the virtual environment: SQLite is the database and Celery's broker
keeps its messages in files under var/. Ctrl-C stops all three processes.
"""

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from honcho.manager import Manager


class Command(BaseCommand):
    help = "Run the demo: web server, Celery worker and Celery beat, with demo data loaded."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port, **options):
        if not settings.DEBUG:
            self.stderr.write("The demo runs with DEBUG=1 (make demo sets it).")
            sys.exit(2)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo")
        python = sys.executable
        # Links in emails (set-password, flags) point at this server.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "SITE_URL": f"http://127.0.0.1:{port}"}
        manager = Manager()
        manager.add_process("web", f"{python} manage.py runserver 127.0.0.1:{port} --noreload", env=env)
        manager.add_process(
            "worker", f"{python} -m celery -A rehab worker --loglevel=INFO --concurrency=2 --without-gossip", env=env
        )
        manager.add_process("beat", f"{python} -m celery -A rehab beat --loglevel=INFO", env=env)
        self.stdout.write(self.style.SUCCESS(f"Open http://127.0.0.1:{port}/ (Ctrl-C stops everything)\n"))
        manager.loop()
        sys.exit(manager.returncode)
