"""What the preview shows for an edition: the check results and the email filled for a sample.

Never raises for a problem the policy officer can fix: a broken edition or
template becomes an error message in the page, so the server keeps running
and the next save (which reloads the page) shows the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

from linked.archive.templates import web_environment
from linked.build import SAMPLE
from linked.check import check_edition
from linked.compose import Composer, fill, greeting
from linked.errors import LinkedError, Problem
from linked.settings import Settings

#: Where the sample reader's unsubscribe link points: nowhere real, and clearly a sample.
SAMPLE_UNSUBSCRIBE = "{base}/unsubscribe/SAMPLE-TOKEN"


@dataclass
class Preview:
    """One look at the edition. ``html``/``text`` are None when it could not be composed."""

    folder: Path
    title: str
    subject: str | None = None
    preheader: str | None = None
    html: str | None = None
    text: str | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    failure: str | None = None


def sample_values(settings: Settings) -> dict[str, str]:
    """Slot values for the sample reader the preview (and ``linked build``) shows."""
    return {
        "greeting": greeting(SAMPLE.name),
        "unsubscribe_url": SAMPLE_UNSUBSCRIBE.format(base=settings.base_url),
    }


def preview_edition(settings: Settings, folder: Path, composer: Composer | None = None) -> Preview:
    """Check and compose the edition, filling the slots for the sample reader.

    A long-lived caller (the console) passes its ``composer``: compiled templates are kept.
    """
    result = Preview(folder=folder, title=folder.name)
    try:
        report = check_edition(settings, folder, composer)
    except LinkedError as exc:  # a template the officer is editing may not compile yet
        result.failure = str(exc)
        return result
    except Exception as exc:  # the preview must outlive any bug too: show it, keep serving
        result.failure = f"unexpected error ({type(exc).__name__}): {exc}"
        return result
    result.errors, result.warnings = report.errors, report.warnings
    if report.edition is not None:
        result.title = report.edition.title
    if report.composed is not None:
        values = sample_values(settings)
        result.subject = report.composed.subject
        result.preheader = report.composed.preheader
        result.html = fill(report.composed.html, values, html_escape=True)
        result.text = fill(report.composed.text, values, html_escape=False)
    return result


def render_page(env: Environment, preview: Preview, version: int) -> str:
    """The preview page; ``version`` lets its script notice a save made while it loaded."""
    root = preview.folder.parent
    return env.get_template("web/preview.html").render(
        preview=preview,
        version=version,
        errors=[p.format(relative_to=root) for p in preview.errors],
        warnings=[p.format(relative_to=root) for p in preview.warnings],
    )


def preview_environment(settings: Settings) -> Environment:
    return web_environment(settings)
