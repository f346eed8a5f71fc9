"""Shared fixtures live in tests/fixtures/; each module is a plugin listed here."""

pytest_plugins = [
    "tests.fixtures.project",
    "tests.fixtures.database",
    "tests.fixtures.smtp",
    "tests.fixtures.browser",
    "tests.fixtures.faulty_smtp",
    "tests.fixtures.imap",
    "tests.fixtures.console",
]
