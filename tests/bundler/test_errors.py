"""One exit-code table: each code distinct, each documented where users read them."""

from __future__ import annotations

import djdesk_bundle.errors as errors
from djdesk_runtime.contract import EXIT_CODES
from tests.conftest import REPO


def error_classes() -> list[type[errors.BundleError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.BundleError)
    ]


def test_every_code_is_distinct_but_for_declared_refinements() -> None:
    by_code: dict[int, list[str]] = {}
    for cls in error_classes():
        by_code.setdefault(cls.exit_code, []).append(cls.__name__)
    # OfflineCacheMiss is a kind of download failure: the one shared code, on purpose.
    assert sorted(by_code.pop(3)) == ["FetchError", "OfflineCacheMiss"]
    assert all(len(names) == 1 for names in by_code.values()), by_code


def test_every_code_is_documented() -> None:
    readme = (REPO / "README.md").read_text()
    for cls in error_classes():
        assert f"{cls.exit_code} " in errors.__doc__  # type: ignore[operator]
        assert f"{cls.exit_code} " in readme, cls.__name__
    for reason, code in EXIT_CODES.items():  # the launcher's own table
        assert f"| {code} |" in (REPO / "docs" / "architecture.md").read_text(), reason


def test_the_help_names_every_exit_code() -> None:
    from djdesk_bundle.cli_help import EXIT_MEANINGS

    assert {cls.exit_code for cls in error_classes()} <= set(EXIT_MEANINGS)
