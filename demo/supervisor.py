"""Runs the demo's web server, Celery worker and Celery beat side by side, and stops them together.

Each process's output is read line by line and only what says something is shown (warnings, errors with their
tracebacks, the one-line notes of e-mails sent), prefixed with the process's name; start-up banners and routine
lines stay quiet. The processes run in sessions of their own, so a Ctrl-C in the terminal reaches this supervisor
alone, which then stops them in order and exits 0. If one of them stops by itself, the others are stopped too and
the supervisor exits 1 after showing that process's last lines.
"""

import os
import re
import signal
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field

# A line that says something: a log record at warning level or above (Django's and Celery's formats), an error
# printed by a command, or an e-mail sent.
NOTEWORTHY = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|^Traceback|^Error:|\be-mail to ")
# Routine lines that use those words anyway.
ROUTINE = re.compile(r"This is a development server|production WSGI or ASGI server|Warm shutdown")
# The first line of a log record: a traceback's lines go on until the next one.
RECORD_START = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]|\[\d{4}-\d{2}-\d{2} )")
# How a record is shown: its time of day, not its date and milliseconds; an e-mail's note as it is.
SHORTER = [(re.compile(r"^\d{4}-\d{2}-\d{2} (\d{2}:\d{2}:\d{2}),\d+ "), r"\1 "), (re.compile(r"INFO demo\.mail "), "")]
STOP_WAIT_SECONDS = 10
LAST_LINES = 20


@dataclass
class Process:
    name: str
    argv: list[str]
    popen: subprocess.Popen | None = None
    last: deque = field(default_factory=lambda: deque(maxlen=LAST_LINES))


class Supervisor:
    def __init__(self, processes: list[Process], *, env: dict, out=sys.stdout):
        self.processes, self.env, self.out = processes, env, out
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.width = max(len(p.name) for p in processes)

    def say(self, line: str) -> None:
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for process in self.processes:
                process.popen = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    process.argv,
                    env=self.env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    bufsize=1,
                    start_new_session=True,  # the terminal's Ctrl-C comes here, not to them
                )
                threading.Thread(target=self._relay, args=(process,), daemon=True).start()
            ended = self._wait_for_first_end()
            self._stop_all()
            if ended is not None and not self.stopping.is_set():
                self.say(f"The demo's {ended.name} stopped by itself (exit status {ended.popen.returncode}):")
                for line in ended.last:
                    self.say(f"  {line}")
                return 1
            self.say("Stopped the web server, the worker and beat.")
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum, frame) -> None:
        self.stopping.set()

    def _wait_for_first_end(self) -> Process | None:
        while not self.stopping.wait(0.2):
            for process in self.processes:
                if process.popen.poll() is not None:
                    return process
        return None

    def _stop_all(self) -> None:
        self.stopping.set()
        for process in self.processes:
            if process.popen.poll() is None:
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.popen.wait(timeout=STOP_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()

    def _relay(self, process: Process) -> None:
        in_record = False  # inside a noteworthy record: its traceback lines are shown too
        for raw in process.popen.stdout:
            line = raw.rstrip("\n")
            process.last.append(line)
            if RECORD_START.match(line):
                in_record = False
            if NOTEWORTHY.search(line) and not ROUTINE.search(line):
                in_record = True
            if in_record and line.strip() and not self.stopping.is_set():
                for pattern, replacement in SHORTER:
                    line = pattern.sub(replacement, line)
                self.say(f"{process.name:>{self.width}} | {line}")
