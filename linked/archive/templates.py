"""The Jinja2 environment for the archive's web pages (``templates/web/``), HTML-escaped."""

from __future__ import annotations

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from linked.compose.templates import long_date, template_dirs
from linked.settings import Settings


def web_environment(settings: Settings) -> Environment:
    """Project templates first, then Linked's; every value is escaped unless marked safe."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in template_dirs(settings)]),
        # Every archive template is HTML or XML: autoescape all of them, whatever the suffix.
        autoescape=select_autoescape(default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    return env
