# The recipes people type. Each is a thin wrapper over a real command.
set shell := ["bash", "-euo", "pipefail", "-c"]

export UV_LINK_MODE := "copy"

# List the recipes
default:
    @just --list

# Install the Python workspace (app, bundler, dev tools) from the lock
install:
    uv sync --frozen

# Generate the sample Django projects (offline, deterministic)
fetch-samples *ARGS: install
    uv run --frozen python scripts/fetch_samples.py {{ARGS}}

# Run the inspector from the source tree on http://127.0.0.1:8000/
dev PORT="8000": fetch-samples
    cd app && uv run --frozen python manage.py migrate -v0
    cd app && uv run --frozen python manage.py runserver 127.0.0.1:{{PORT}}

# The main job (see README): build and boot the inspector
demo PORT="8000": fetch-samples
    cd app && uv run --frozen python manage.py migrate -v0
    @echo "DJDesk inspector: http://127.0.0.1:{{PORT}}/"
    cd app && uv run --frozen python manage.py runserver --noreload 127.0.0.1:{{PORT}}

# Run the whole test suite (Python, browser, and Node tests when present)
test *ARGS: install
    uv run --frozen pytest {{ARGS}}

# Lint and format check
lint: install
    uv run --frozen ruff check .
    uv run --frozen ruff format --check .
