"""The dashboard in a real browser (Debian's Chromium) against a real Django process."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_dashboard_shows_atlas_and_polls(page, inspector_server: str) -> None:
    from playwright.sync_api import expect

    page.goto(inspector_server + "/")
    expect(page.locator("[data-workspace-name]")).to_have_text("Atlas Telemetry")
    expect(page.locator("[data-panel=apps]")).to_contain_text("catalog.datasets")
    expect(page.locator("[data-offline-indicator]")).to_have_text("Synced")
    # The poller fetched the status API at least once and re-rendered the panels.
    expect(page.locator("[data-poll-status]")).to_contain_text("Updated", timeout=10_000)
    expect(page.locator("[data-panel=scans] tr")).to_have_count(3)
    # A rescan through the API (CSRF token from the cookie, as the page's JS sends it)
    # changes the status; the next poll re-renders the scans panel without a reload:
    # still one current row per kind, the earlier runs behind the history disclosure.
    status = page.evaluate(
        "async () => (await djdeskFetch('/api/workspaces/atlas-telemetry/scans/',"
        " {method: 'POST'})).status"
    )
    assert status == 202
    expect(page.locator("[data-history-count]")).to_have_text("3", timeout=10_000)
    expect(page.locator("[data-panel=scans] tr")).to_have_count(3)
    expect(page.locator("[data-panel=insights]")).to_contain_text("Pending migrations")


def test_offline_indicator_follows_navigator(page, inspector_server: str) -> None:
    from playwright.sync_api import expect

    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    page.context.set_offline(True)
    expect(page.locator("[data-offline-indicator]")).to_have_text("Offline-ready")
    page.context.set_offline(False)
    expect(page.locator("[data-offline-indicator]")).to_have_text("Synced")


def test_wizard_creates_and_rejects(page, inspector_server: str, sample_root: Path) -> None:
    from playwright.sync_api import expect

    page.goto(inspector_server + "/workspaces/new/")
    page.fill("input[name=name]", "Broken")
    page.fill("input[name=project_path]", str(sample_root / "nope"))
    page.click("button[type=submit]")
    expect(page.locator("[data-error-for=project_path]")).to_contain_text("does not exist")
    expect(page.locator("input[name=name]")).to_have_value("Broken")  # input kept

    page.fill("input[name=name]", "Polls tutorial")
    page.fill("input[name=project_path]", str(sample_root / "django-polls"))
    page.click("button[type=submit]")
    expect(page).to_have_url(inspector_server + "/workspaces/polls-tutorial/")
    expect(page.locator("[data-panel=apps]")).to_contain_text("polls")
    expect(page.locator(".workspace-list")).to_contain_text("Polls tutorial")


def test_dropped_folder_prefills_wizard(page, inspector_server: str, sample_root: Path) -> None:
    from playwright.sync_api import expect

    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    path = str(sample_root / "generated")
    page.evaluate(
        "p => window.dispatchEvent(new CustomEvent('djdesk:workspace-drop', {detail: {path: p}}))",
        path,
    )
    expect(page).to_have_url(inspector_server + "/workspaces/new/")
    expect(page.locator("input[name=project_path]")).to_have_value(path)


def test_run_check_from_the_assistant(page, inspector_server: str) -> None:
    from playwright.sync_api import expect

    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    form = page.locator("[data-preset-form=check]")
    form.locator("button[type=submit]").click()
    # Without the guardrail checkbox the server refuses, and says why.
    expect(form.locator("[data-preset-error]")).to_contain_text("requires confirm_safe")
    form.locator("input[name=confirm_safe]").check()
    form.locator("input[name=note]").fill("from the browser")
    form.locator("button[type=submit]").click()
    log = page.locator("[data-task-log]")
    expect(log).to_contain_text("System check identified no issues", timeout=30_000)
    expect(log).to_have_attribute("data-status", "succeeded")
    expect(page.locator("[data-panel=tasks] li").first).to_contain_text("System check · succeeded")


def test_data_lab_export_and_preview(page, inspector_server: str) -> None:
    from playwright.sync_api import expect

    page.goto(inspector_server + "/workspaces/atlas-telemetry/")
    panel = page.locator("[data-data-lab]")
    expect(panel).to_contain_text("No export yet.")
    panel.locator("[data-export-template=schema-audit]").click()
    expect(page).to_have_url(
        inspector_server + "/workspaces/atlas-telemetry/data-lab/schema-audit/"
    )
    expect(page.locator("main > h1")).to_contain_text("Schema audit: Atlas Telemetry")
    expect(page.locator(".cell").nth(1)).to_contain_text("catalog.datasets")
    expect(page.locator("[data-data-lab] .exports")).to_contain_text("Schema audit")


# The preload bridge's contract (electron/preload.cjs): the shell pushes update states,
# the page sends back the user's choice. Stood in for here, as no Electron runs.
NATIVE_BRIDGE = """
window.__updateActions = [];
window.djdeskNative = {
  onUpdateState: (callback) => { window.__pushUpdate = callback; },
  updateAction: (action) => window.__updateActions.push(action),
};
"""


def test_update_banner_follows_the_shell(page, inspector_server: str) -> None:
    from playwright.sync_api import expect

    page.add_init_script(NATIVE_BRIDGE)
    page.goto(inspector_server + "/")
    banner = page.locator("[data-update-banner]")
    expect(banner).to_be_hidden()
    push = "state => window.__pushUpdate(state)"
    page.evaluate(push, {"phase": "available", "version": "0.2.0"})
    expect(banner).to_contain_text("DJDesk 0.2.0 is available.")
    banner.get_by_role("button", name="Download").click()
    page.evaluate(push, {"phase": "downloading", "version": "0.2.0", "percent": 42})
    expect(banner).to_contain_text("42%")
    expect(banner.locator("progress")).to_have_attribute("value", "42")
    expect(banner.get_by_role("button")).to_be_hidden()  # nothing to press while downloading
    page.evaluate(push, {"phase": "ready", "version": "0.2.0"})
    banner.get_by_role("button", name="Restart to install").click()
    assert page.evaluate("window.__updateActions") == ["download", "install"]
    crafted = '<img src=x onerror="window.__owned=1">signed by someone else'
    page.evaluate(push, {"phase": "refused", "reason": "wrong-identity", "message": crafted})
    expect(banner).to_contain_text("An update was refused: " + crafted)  # shown as text
    assert page.evaluate("window.__owned") is None
    page.evaluate(push, {"phase": "current", "version": "0.2.0"})
    expect(banner).to_be_hidden()
