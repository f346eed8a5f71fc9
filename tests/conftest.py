"""Shared fixtures live in tests/fixtures/; each module is a plugin listed here.

The tests written before the four-eyes rule send without an approval: they run with
``send_requires_approval`` off (also in the processes they start); the approval tests
turn it on explicitly.
"""

import os

os.environ.setdefault("LINKED_SEND_REQUIRES_APPROVAL", "false")

pytest_plugins = [
    "tests.fixtures.project",
    "tests.fixtures.database",
    "tests.fixtures.smtp",
    "tests.fixtures.faulty_smtp",
    "tests.fixtures.imap",
    "tests.fixtures.console",
    "tests.fixtures.browser",
]
