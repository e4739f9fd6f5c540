# The recipes people type. Each is a thin wrapper over a real command.
set shell := ["bash", "-euo", "pipefail", "-c"]

export UV_LINK_MODE := "copy"

# List the recipes
default:
    @just --list

# Install the Debian packages the recipes need (as root; else it says what to run), the Python
# workspace (app, bundler, dev tools) and the shell's npm deps, from the locks
install:
    bash scripts/debian_packages.sh base
    uv sync --frozen
    cd electron && ELECTRON_SKIP_BINARY_DOWNLOAD="${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}" npm ci --no-audit --no-fund --loglevel=error

# Generate the sample Django projects (offline, deterministic). No arguments, so that
# `just fetch-samples docs-bundle` runs two recipes; options: scripts/fetch_samples.py --help
fetch-samples: install
    uv run --frozen python scripts/fetch_samples.py

# Run the inspector from the source tree on http://127.0.0.1:8000/ (with DJDESK_TASKS_BACKEND=database, also its worker)
dev PORT="8000": fetch-samples
    #!/usr/bin/env bash
    set -euo pipefail
    cd app
    uv run --frozen python manage.py migrate -v0
    if [ "${DJDESK_TASKS_BACKEND:-immediate}" = database ]; then
      uv run --frozen python manage.py db_worker --no-reload &
      trap 'kill $! 2>/dev/null' EXIT
    fi
    uv run --frozen python manage.py runserver 127.0.0.1:{{PORT}}

# Format the code
fmt: install
    uv run --frozen ruff format .
    uv run --frozen ruff check --fix .

# Build the HTML docs (warnings are errors) into var/docs_html (Sphinx's cache: var/docs_doctrees)
docs-html: install
    uv run --frozen sphinx-build -W -b html -d var/docs_doctrees docs var/docs_html

# Serve the built docs on http://127.0.0.1:8001/
docs-serve: docs-html
    uv run --frozen python -m http.server 8001 --bind 127.0.0.1 --directory var/docs_html

# Build the docs into var/docs_bundle/ (served offline by the inspector, shipped in the payload;
# Sphinx's cache goes to var/docs_doctrees, dates come from SOURCE_DATE_EPOCH)
docs-bundle: install
    uv run --frozen python scripts/docs_bundle.py

# Package this host's relocatable Python as a python-build-standalone-shaped archive
local-interpreter: install
    uv run --frozen python scripts/make_local_interpreter.py --output var/interpreter

# The main job: build the payload from the local interpreter archive, verify it, boot it
demo PORT="8000": fetch-samples local-interpreter docs-bundle
    uv run --frozen djdesk-bundle build --manifest var/interpreter/manifest.toml --python-mirror "file://$PWD/var/interpreter"
    uv run --frozen djdesk-bundle verify electron/django-bundle
    DJDESK_DATA_DIR="$PWD/var/demo-data" electron/django-bundle/python/bin/python3 -I electron/django-bundle/run_django.py --host 127.0.0.1 --port {{PORT}}

# Build with the pinned upstream interpreter (needs GitHub, or --python-mirror)
bundle *ARGS: fetch-samples docs-bundle
    uv run --frozen djdesk-bundle build {{ARGS}}

# Check a payload dir or archive against its SHA256SUMS
verify PATH="electron/django-bundle":
    uv run --frozen djdesk-bundle verify {{PATH}}

# Run the whole test suite (Python, browser, and Node tests when present); installs the Debian
# packages the browser and packaging tests need (chromium, 7zip) when run as root
test *ARGS: install
    bash scripts/debian_packages.sh test
    uv run --frozen pytest {{ARGS}}

# The Electron shell's Node tests alone (the payload tests need DJDESK_TEST_PAYLOAD), on Node >= 22.12 (npm's when the system's is older)
test-node:
    cd electron && python3 ../scripts/shell_node.py --test 'test/*.test.js'

# The shell's npm deps (ELECTRON_SKIP_BINARY_DOWNLOAD=0 to fetch the Electron binary)
electron-install:
    cd electron && ELECTRON_SKIP_BINARY_DOWNLOAD="${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}" npm ci --no-audit --no-fund

# Build the payload the shell ships (electron/django-bundle/)
electron-bundle *ARGS: fetch-samples docs-bundle
    uv run --frozen djdesk-bundle build {{ARGS}}

# Installers for this OS
electron-build: electron-bundle
    cd electron && npx electron-builder --publish never

# Installers for macOS (dmg, zip)
electron-build-macos: electron-bundle
    cd electron && npx electron-builder --mac --publish never

# Installers for Windows (nsis, zip); the payload must be built for a Windows triple
electron-build-windows:
    just electron-bundle --target x86_64-pc-windows-msvc
    cd electron && npx electron-builder --win --publish never

# Installers for Linux (AppImage, deb, tar.gz)
electron-build-linux: electron-bundle
    cd electron && npx electron-builder --linux --publish never

# The publishing side of a release, offline, here: payload, electron-builder (stand-in Electron), every target's assets, feed merge, checksums, asset check, feed verification
release-rehearsal *ARGS: install
    uv run --frozen python scripts/release_rehearsal.py {{ARGS}}

# Recent runs of the release workflow (GitHub CLI)
gh-runs:
    gh run list --workflow release.yml --limit 10

# Download the artifacts of a release workflow run into var/release-RUN
gh-download RUN:
    gh run download {{RUN}} --dir var/release-{{RUN}}

# Start the desktop shell (needs the Electron binary: ELECTRON_SKIP_BINARY_DOWNLOAD=0 just install)
electron-start:
    cd electron && npm start

# Build, floor, size, update, boot, memory and polling figures of the inspector and a
# `wagtail start` site, side by side with PyInstaller onedir (the bench-only dependency
# group): a table, and var/bench/latest.json (`just bench --quick`: a smoke run)
bench *ARGS: install fetch-samples docs-bundle
    uv run --frozen --group bench python scripts/bench.py {{ARGS}}

# Lint and format check
lint: install
    uv run --frozen ruff check .
    uv run --frozen ruff format --check .
    uv run --frozen mypy
    uv run --frozen python scripts/refresh_interpreter_pins.py --check-age
