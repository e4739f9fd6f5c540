"""A Django project as a PyInstaller onedir app, for `just bench` (scripts/bench_pyinstaller.py).

What a Django developer writes for PyInstaller, as its Django hook expects it: a
``manage.py``-style script in the project folder (the bench copies this file there, with
SETTINGS and WSGI filled in), so that the hook finds the project package and its apps.
On each launch: the project's settings with the same desktop treatment DJDesk's launcher
gives them (data-dir database, loopback hosts, DEBUG off, static files from the bundle),
``migrate`` (an empty data dir gets its tables), then waitress with WhiteNoise in front
for the collected static files, on a free loopback port, printing the URL once it listens.
The project's task worker (WORKER: its ``worker-command``) runs queued tasks as DJDesk's
launcher does by default, in a thread of this process (``djdesk_runtime.worker``): the
same work, run the same way, so that the bench compares the two apps doing the same.
"""

import os
import shlex
import sys
from pathlib import Path

from djdesk_runtime.contract import DESKTOP_OVERRIDES, ENV, WORKER_THREAD
from djdesk_runtime.overrides import environment

SETTINGS = "djdesk.settings.desktop"  # the bench writes the project's own here
WSGI = "djdesk.wsgi"
WORKER = ""  # the bench writes the project's worker-command here ("": none)


def main() -> None:
    here = Path(getattr(sys, "_MEIPASS", Path(__file__).parent))
    data_dir = Path(os.environ[ENV["data_dir"]])
    os.environ.update(environment(SETTINGS, data_dir, here, DESKTOP_OVERRIDES))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from importlib import import_module

    from waitress import create_server
    from whitenoise import WhiteNoise

    application = WhiteNoise(
        import_module(WSGI).application,
        root=str(settings.STATIC_ROOT),
        prefix=settings.STATIC_URL,
        max_age=3600,
    )
    worker = None
    if WORKER:
        from djdesk_runtime import worker as tasks

        in_thread = tasks.thread_worker(tuple(shlex.split(WORKER)), WORKER_THREAD)
        if in_thread is None:
            raise SystemExit(f"{WORKER!r} cannot run in a thread")
        worker = tasks.OnDemandWorker(in_thread, tasks.tasks_queued)
        tasks.on_task_enqueued(worker.wake)
        application = worker.wrap(application)
    server = create_server(application, host="127.0.0.1", port=0)
    print(f"serving http://127.0.0.1:{server.effective_port}/", flush=True)  # type: ignore[union-attr]
    try:
        server.run()
    finally:
        if worker is not None:
            worker.stop()


if __name__ == "__main__":
    sys.exit(main())
