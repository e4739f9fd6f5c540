// The dashboard's client: polls the status API (with ETag), updates panels in place,
// sends the CSRF cookie back on POSTs, tracks online state, accepts dropped folders.
(function () {
  "use strict";

  const POLL_MS = 3000;
  // The names this page shares with the desktop shell's preload and main process (the
  // bridge, the drop event, the storage key, the update phases and actions): the contract's
  // `ui` part, which the base template renders into this element (its id is the one name
  // written here too: tests/test_contract.py checks it is the contract's).
  const UI = JSON.parse(document.getElementById("djdesk-ui").textContent);
  const PHASE = UI.update_phases;
  const CHOICE = UI.update_actions;
  const METHOD = UI.bridge_methods;
  const WIZARD_PATH_KEY = UI.storage.wizard_project_path;
  // The preload's bridge (absent in a plain browser) and one of its methods, if there.
  const nativeMethod = (name) => window[UI.bridge] && window[UI.bridge][name];

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Every unsafe request from this page carries the CSRF token.
  window.djdeskFetch = function (url, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    const method = (opts.method || "GET").toUpperCase();
    if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
      opts.headers = Object.assign({ "X-CSRFToken": csrfToken() }, opts.headers || {});
    }
    return fetch(url, opts);
  };

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Times as the server renders them (hh:mm:ss of the ISO stamp), durations in seconds.
  const clock = (iso) => (iso ? iso.slice(11, 19) : "");
  const seconds = (value) => (value === null || value === undefined ? "" : `${value.toFixed(2)} s`);

  function fill(panel, items, render) {
    const target = document.querySelector(`[data-panel="${panel}"]`);
    if (!target) return;
    target.replaceChildren(...items.map(render));
  }

  const renderers = {
    insights: (item) => {
      const li = el("li");
      li.append(el("span", { class: "value" }, item.value), el("span", { class: "title" }, item.title));
      return li;
    },
    apps: (app) => {
      const tr = el("tr", app.conflict ? { class: "conflict" } : {});
      tr.append(el("td", {}, app.label), el("td", {}, String(app.migrations)),
        el("td", {}, String(app.pending_migrations) + (app.conflict ? " · conflict" : "")));
      return tr;
    },
    schema: (node) => {
      const li = el("li");
      li.append(el("strong", {}, `${node.app}.${node.name}`), el("br"), el("small", {}, node.fields.join(", ")));
      return li;
    },
    logs: (entry) => {
      const li = el("li", { class: `level-${entry.level}` });
      li.append(el("time", {}, entry.timestamp), " ", el("span", { class: "level" }, entry.level), " " + entry.message);
      return li;
    },
    // One current row per scan kind; older runs go to the history disclosure.
    scans: (scan) => {
      const tr = el("tr", { "data-scan-kind": scan.kind, class: `status-${scan.status}` });
      const label = el("td", { class: "scan-label" }, scan.label);
      if (scan.error) label.append(el("br"), el("small", { class: "error" }, scan.error));
      scan.findings.forEach((f) => label.append(el("br"), el("small", { class: `finding-${f.level}` }, `${f.path} ${f.message}`)));
      const state = el("td");
      state.append(el("span", { class: "badge" }, scan.status));
      if (["requested", "running"].includes(scan.status)) {
        state.append(" ", el("progress", { max: "100", value: String(scan.progress) }));
      }
      const started = el("td");
      started.append(el("time", { datetime: scan.started_at || "" }, clock(scan.started_at) || "—"));
      tr.append(label, state, started, el("td", {}, seconds(scan.duration) || "—"), el("td", {}, String(scan.findings_count)));
      return tr;
    },
    "scan-history": (scan) => {
      const li = el("li", { class: `status-${scan.status}` }, `${scan.label} · `);
      const plural = scan.findings_count === 1 ? "" : "s";
      li.append(el("span", { class: "badge" }, scan.status),
        ` · ${clock(scan.started_at) || "not started"}${scan.duration !== null ? ` · ${seconds(scan.duration)}` : ""}` +
        ` · ${scan.findings_count} finding${plural}`);
      return li;
    },
    tasks: (run) => el("li", { "data-run-id": String(run.id) },
      `${run.label} · ${run.status}${run.exit_code !== null && run.exit_code !== undefined ? ` (exit ${run.exit_code})` : ""}`),
  };

  function render(status) {
    fill("insights", status.insights, renderers.insights);
    fill("apps", status.apps, renderers.apps);
    fill("schema", status.schema.nodes, renderers.schema);
    const diagram = document.querySelector("[data-schema-diagram]");
    if (diagram && window.djdeskSchemaDiagram) window.djdeskSchemaDiagram.render(diagram, status.schema);
    fill("logs", status.log_excerpt, renderers.logs);
    fill("scans", status.current_scans, renderers.scans);
    const current = new Set(status.current_scans.map((scan) => scan.id));
    const history = status.scans.filter((scan) => !current.has(scan.id));
    fill("scan-history", history, renderers["scan-history"]);
    const count = document.querySelector("[data-history-count]");
    if (count) count.textContent = String(history.length);
    if (status.tasks.length) fill("tasks", status.tasks, renderers.tasks);
  }

  function startPolling(dashboard) {
    const url = dashboard.dataset.statusUrl;
    const label = document.querySelector("[data-poll-status]");
    let etag = null;
    async function poll() {
      try {
        const response = await fetch(url, { headers: etag ? { "If-None-Match": etag } : {} });
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          render(await response.json());
          label.textContent = `Updated ${new Date().toLocaleTimeString()}`;
        } else if (response.status === 304) {
          label.textContent = `Up to date ${new Date().toLocaleTimeString()}`;
        } else {
          label.textContent = `Status check failed (${response.status})`;
        }
        label.dataset.polls = String(Number(label.dataset.polls || 0) + 1);
      } catch (error) {
        label.textContent = "Server unreachable; retrying…";
      }
      window.setTimeout(poll, POLL_MS);
    }
    poll();
  }

  function setupOfflineIndicator() {
    const indicator = document.querySelector("[data-offline-indicator]");
    if (!indicator) return;
    const update = () => {
      indicator.textContent = navigator.onLine ? "Synced" : "Offline-ready";
      indicator.dataset.state = navigator.onLine ? "online" : "offline";
    };
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    update();
  }

  function rememberProjectPath(path) {
    window.localStorage.setItem(WIZARD_PATH_KEY, path);
  }

  function setupDropzone() {
    const zone = document.querySelector(UI.dropzone_selector);
    if (!zone) return;
    const message = zone.querySelector("[data-dropzone-message]");
    // The Electron preload knows the real path of a dropped folder and fires this event.
    window.addEventListener(UI.drop_event, (event) => {
      const path = event.detail && event.detail.path;
      if (!path) return;
      rememberProjectPath(path);
      window.location.href = "/workspaces/new/";
    });
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("is-over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("is-over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("is-over");
      const file = event.dataTransfer && event.dataTransfer.files[0];
      // A browser only reveals the name, not the path: ask for the rest.
      if (file) message.textContent = `“${file.name}”: enter its full path in the wizard.`;
    });
  }

  function setupWizard() {
    const input = document.querySelector("[data-wizard] input[name=project_path]");
    const saved = window.localStorage.getItem(WIZARD_PATH_KEY);
    if (input && saved && !input.value) {
      input.value = saved;
      window.localStorage.removeItem(WIZARD_PATH_KEY);
    }
  }

  const FINISHED = ["succeeded", "failed", "cancelled"];

  function notify(title, body) {
    const notifyNative = nativeMethod(METHOD.notify);
    if (notifyNative) {
      notifyNative({ title, body });
    } else if ("Notification" in window && Notification.permission === "granted") {
      new Notification(title, { body });
    }
  }

  function showRun(run) {
    const list = document.querySelector('[data-panel="tasks"]');
    const existing = list.querySelector(`[data-run-id="${run.id}"]`);
    const item = renderers.tasks(run);
    if (existing) existing.replaceWith(item);
    else {
      list.querySelectorAll(".muted").forEach((node) => node.remove());
      list.prepend(item);
    }
    const log = document.querySelector("[data-task-log]");
    log.hidden = false;
    log.dataset.runId = String(run.id);
    log.dataset.status = run.status;
    log.textContent = run.log + (run.error ? `\n[${run.error}]` : "");
  }

  async function followRun(run) {
    showRun(run);
    while (!FINISHED.includes(run.status)) {
      await new Promise((resolve) => window.setTimeout(resolve, 1000));
      const response = await fetch(`/api/task-runs/${run.id}/`);
      if (!response.ok) return;
      run = await response.json();
      showRun(run);
    }
    notify(`${run.label}: ${run.status}`, run.error || "Finished.");
  }

  function setupAssistant() {
    const assistant = document.querySelector("[data-assistant]");
    if (!assistant) return;
    const choicesNode = document.getElementById("migration-choices");
    const choices = choicesNode ? JSON.parse(choicesNode.textContent) : {};
    assistant.querySelectorAll("[data-app-select]").forEach((select) => {
      const migrations = select.form.querySelector("[data-migration-select]");
      const fill = () => {
        migrations.replaceChildren(...(choices[select.value] || []).map((name) => el("option", { value: name }, name)));
      };
      select.addEventListener("change", fill);
      fill();
    });
    assistant.addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const error = form.querySelector("[data-preset-error]");
      error.hidden = true;
      const body = { workspace: assistant.dataset.workspace, preset: form.dataset.presetForm,
        note: form.elements.note.value };
      if (form.elements.confirm_safe) body.confirm_safe = form.elements.confirm_safe.checked;
      if (form.elements.app_label) {
        body.args = { app_label: form.elements.app_label.value, migration: form.elements.migration.value };
      }
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        const response = await window.djdeskFetch("/api/task-runs/", {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        });
        const data = await response.json();
        if (!response.ok) {
          error.textContent = data.error;
          error.hidden = false;
          return;
        }
        await followRun(data);
      } finally {
        button.disabled = false;
      }
    });
  }

  function setupDataLab() {
    const panel = document.querySelector("[data-data-lab]");
    if (!panel) return;
    const error = panel.querySelector("[data-export-error]");
    panel.addEventListener("click", async (event) => {
      const live = event.target.closest("[data-live-lab]");
      if (live) {
        error.hidden = true;
        const response = await window.djdeskFetch(live.dataset.liveLab, { method: "POST" });
        const data = await response.json();
        if (!response.ok) {
          error.textContent = data.error;
          error.hidden = false;
        } else if (nativeMethod(METHOD.open_external)) {
          nativeMethod(METHOD.open_external)(data.url);
        } else {
          window.open(data.url, "_blank", "noopener");
        }
        return;
      }
      const button = event.target.closest("[data-export-template]");
      if (!button) return;
      error.hidden = true;
      button.disabled = true;
      try {
        const response = await window.djdeskFetch(panel.dataset.exportUrl, {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ template: button.dataset.exportTemplate }),
        });
        const data = await response.json();
        if (!response.ok) {
          error.textContent = data.error;
          error.hidden = false;
          return;
        }
        window.location.href = data.preview_url;
      } finally {
        button.disabled = false;
      }
    });
  }

  function setupDocsDrawer() {
    const toggle = document.querySelector("[data-docs-toggle]");
    const drawer = document.querySelector("[data-docs-drawer]");
    if (!toggle || !drawer) return;
    toggle.addEventListener("click", () => {
      drawer.hidden = !drawer.hidden;
      toggle.setAttribute("aria-expanded", String(!drawer.hidden));
    });
  }

  // Update states come from the desktop shell (absent in a browser): the user decides
  // when to download and when to restart; a refused feed is said plainly.
  const UPDATE_VIEWS = {
    [PHASE.available]: (s) => [`DJDesk ${s.version} is available.`, CHOICE.download, "Download"],
    [PHASE.downloading]: (s) => [`Downloading DJDesk ${s.version || ""}: ${s.percent || 0}%`, null, null],
    [PHASE.ready]: (s) => [`DJDesk ${s.version} is ready.`, CHOICE.install, "Restart to install"],
    [PHASE.refused]: (s) => [`An update was refused: ${s.message}`, null, null],
    [PHASE.error]: (s) => [`Could not check for updates: ${s.message}`, CHOICE.check, "Try again"],
  };

  function renderUpdate(banner, state) {
    const view = UPDATE_VIEWS[state && state.phase];
    banner.hidden = !view;
    if (!view) return;
    const [text, action, label] = view(state);
    banner.dataset.phase = state.phase;
    banner.querySelector("[data-update-text]").textContent = text;
    const progress = banner.querySelector("[data-update-progress]");
    progress.hidden = state.phase !== PHASE.downloading;
    progress.value = state.percent || 0;
    const button = banner.querySelector("[data-update-action]");
    button.hidden = !action;
    button.dataset.action = action || "";
    button.textContent = label || "";
  }

  function setupUpdateBanner() {
    const banner = document.querySelector("[data-update-banner]");
    const onUpdateState = nativeMethod(METHOD.on_update_state);
    if (!banner || !onUpdateState) return;
    banner.querySelector("[data-update-action]").addEventListener("click", (event) => {
      const action = event.currentTarget.dataset.action;
      if (action) nativeMethod(METHOD.update_action)(action);
    });
    onUpdateState((state) => renderUpdate(banner, state));
  }

  document.addEventListener("DOMContentLoaded", () => {
    setupUpdateBanner();
    setupOfflineIndicator();
    setupDropzone();
    setupWizard();
    setupDocsDrawer();
    setupAssistant();
    setupDataLab();
    const dashboard = document.querySelector("[data-status-url]");
    if (dashboard) startPolling(dashboard);
  });
})();
