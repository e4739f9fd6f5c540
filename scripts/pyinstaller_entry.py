"""The inspector as a PyInstaller onedir app, for `just bench` only (scripts/bench_pyinstaller.py).

What a Django developer would write for PyInstaller: the desktop settings, `migrate` on
every launch (an empty data dir gets its tables and seed), then waitress on a free
loopback port, printing the URL once it listens.
"""

import os
import sys
from pathlib import Path

from djdesk_runtime.contract import DESKTOP_OVERRIDES, ENV
from djdesk_runtime.overrides import environment


def main() -> None:
    # The desktop settings as the app runs them (data-dir database, loopback hosts, …):
    # the inspector's own settings module leaves those to the desktop runtime.
    here = Path(getattr(sys, "_MEIPASS", Path(__file__).parent))
    data_dir = Path(os.environ[ENV["data_dir"]])
    os.environ.update(environment("djdesk.settings.desktop", data_dir, here, DESKTOP_OVERRIDES))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from waitress import create_server

    from djdesk.wsgi import application

    server = create_server(application, host="127.0.0.1", port=0)
    print(f"serving http://127.0.0.1:{server.effective_port}/", flush=True)  # type: ignore[union-attr]
    server.run()


if __name__ == "__main__":
    sys.exit(main())
