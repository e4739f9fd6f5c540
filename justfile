# The recipes people type. Each is a thin wrapper over a real command.
set shell := ["bash", "-euo", "pipefail", "-c"]

export UV_LINK_MODE := "copy"

# List the recipes
default:
    @just --list

# Install the Python workspace (app, bundler, dev tools) and the shell's npm deps, from the locks
install:
    uv sync --frozen
    cd electron && ELECTRON_SKIP_BINARY_DOWNLOAD="${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}" npm ci --no-audit --no-fund --loglevel=error

# Generate the sample Django projects (offline, deterministic)
fetch-samples *ARGS: install
    uv run --frozen python scripts/fetch_samples.py {{ARGS}}

# Run the inspector from the source tree on http://127.0.0.1:8000/
dev PORT="8000": fetch-samples
    cd app && uv run --frozen python manage.py migrate -v0
    cd app && uv run --frozen python manage.py runserver 127.0.0.1:{{PORT}}

# Package this host's relocatable Python as a python-build-standalone-shaped archive
local-interpreter: install
    uv run --frozen python scripts/make_local_interpreter.py --output var/interpreter

# The main job: build the payload from the local interpreter archive, verify it, boot it
demo PORT="8000": fetch-samples local-interpreter
    uv run --frozen djdesk-bundle build --manifest var/interpreter/manifest.toml --python-mirror "file://$PWD/var/interpreter"
    uv run --frozen djdesk-bundle verify electron/django-bundle
    DJDESK_DATA_DIR="$PWD/var/demo-data" electron/django-bundle/python/bin/python3 -I electron/django-bundle/run_django.py --host 127.0.0.1 --port {{PORT}}

# Build with the pinned upstream interpreter (needs GitHub, or --python-mirror)
bundle *ARGS: fetch-samples
    uv run --frozen djdesk-bundle build {{ARGS}}

# Check a payload dir or archive against its SHA256SUMS
verify PATH="electron/django-bundle":
    uv run --frozen djdesk-bundle verify {{PATH}}

# Run the whole test suite (Python, browser, and Node tests when present)
test *ARGS: install
    uv run --frozen pytest {{ARGS}}

# The Electron shell's Node tests alone (the payload tests need DJDESK_TEST_PAYLOAD)
test-node:
    cd electron && node --test test/

# Start the desktop shell (needs the Electron binary: ELECTRON_SKIP_BINARY_DOWNLOAD=0 just install)
electron-start:
    cd electron && npm start

# Lint and format check
lint: install
    uv run --frozen ruff check .
    uv run --frozen ruff format --check .
    uv run --frozen mypy
