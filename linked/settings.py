"""Settings: ``linked.toml`` at the project root, overridden by ``LINKED_*`` variables.

Nothing here runs at import time: call :func:`load_settings` (the CLI and the
web app factory do) and pass the result down.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from linked.errors import LinkedError

CONFIG_FILE = "linked.toml"


class Settings(BaseSettings):
    """Everything configurable, with embedded defaults that need no server."""

    model_config = SettingsConfigDict(
        env_prefix="LINKED_", extra="forbid", frozen=True, populate_by_name=True
    )

    root: Path = Field(default=Path("."), description="Project root (editions/, templates/, …)")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite file under subscribers/"
    )
    smtp_url: str | None = Field(
        default=None,
        description="smtp://[user:pass@]host:port, smtp+starttls://…, smtps://…; unset = outbox/",
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CA that signed the relay's certificate; added to the "
        "system's trusted roots",
    )
    smtp_tls_verify: bool = Field(
        default=True,
        description="Check the relay's TLS certificate and name; false only for tests (warns)",
    )
    smtp_helo_name: str | None = Field(
        default=None,
        description="Name Linked greets the relay with (EHLO); default this host's fully "
        "qualified name, else the From address's domain",
    )
    base_url: str = Field(
        default="http://localhost:8000", description="Public URL of the archive and links"
    )
    secret_key: str | None = Field(default=None, description="Signs confirm/unsubscribe tokens")
    from_address: str = Field(
        default="Linked <bulletin@localhost>",
        # DESIGN.md names it LINKED_FROM (env) and `from` (linked.toml).
        validation_alias=AliasChoices("LINKED_FROM", "from", "from_address"),
        description="From header: 'Name <address>'",
    )
    timezone: str = Field(default="Europe/London", description="Zone for naive times")
    allow_local_links: bool = Field(
        default=False,
        description="Send over SMTP even while base_url or From points at this computer "
        "(tests against a local server only)",
    )

    # The bulletin's identity, shown in the email header and footer and on archive pages.
    bulletin_name: str = "Linked"
    organisation: str = "Durham Safeguarding Children Partnership"
    contact: str = "Durham Safeguarding Children Partnership Business Unit · dscp@durham.gov.uk"
    logo_alt: str = "Durham Safeguarding Children Partnership"
    list_id: str | None = Field(default=None, description="List-Id; default from base_url")
    unsubscribe_mailto: str | None = Field(
        default=None, description="Address for the mailto: List-Unsubscribe (optional)"
    )

    # Subscribers and double opt-in.
    confirm_token_days: int = Field(
        default=7, ge=1, le=365, description="Days a confirmation link stays valid"
    )
    send_welcome: bool = Field(default=True, description="Send a welcome mail after confirming")
    subscribe_limit_per_ip: int = Field(
        default=10, ge=1, description="Subscribe requests accepted per IP address per hour"
    )
    confirm_mail_limit: int = Field(
        default=3, ge=1, description="Confirmation mails sent per address per day"
    )

    # The web app behind a reverse proxy (see linked.web.proxies).
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Proxy addresses (or networks) whose X-Forwarded-For is believed; "
        "comma-separated; default none",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [item for item in value.split(",") if item.strip()]
        if isinstance(value, list | tuple):
            for item in value:
                try:
                    ipaddress.ip_network(str(item).strip(), strict=False)
                except ValueError as exc:
                    raise ValueError(f"{item!r} is not an IP address or network") from exc
            return tuple(str(item).strip() for item in value)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments beat the environment, which beats linked.toml.
        root = Path(getattr(init_settings, "init_kwargs", {}).get("root", "."))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=root / CONFIG_FILE)
        return (init_settings, env_settings, toml)

    # Derived values -------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def editions_dir(self) -> Path:
        return self.root / "editions"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def subscribers_dir(self) -> Path:
        return self.root / "subscribers"

    @property
    def outbox_dir(self) -> Path:
        return self.root / "outbox"

    @property
    def database(self) -> str:
        """The database URL, defaulting to an embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.subscribers_dir / 'linked.db').resolve()}"

    @property
    def list_identifier(self) -> str:
        if self.list_id:
            return self.list_id
        host = self.base_url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
        return f"{self.bulletin_name.lower().replace(' ', '-')}.{host}"

    # Delivery: the SMTP pool, rate limits, retries and signing (see linked.delivery).
    smtp_pool_size: int = Field(default=10, ge=1, le=200, description="Open SMTP connections")
    smtp_max_per_connection: int = Field(
        default=100, ge=1, description="Messages per SMTP connection before it is reopened"
    )
    rate_per_second: float = Field(default=0, ge=0, description="Messages per second; 0 = no limit")
    rate_per_hour: float = Field(default=0, ge=0, description="Messages per hour; 0 = no limit")
    max_attempts: int = Field(
        default=5, ge=1, description="Tries per recipient on temporary (4xx) failures"
    )
    retry_base_seconds: float = Field(
        default=60, gt=0, description="First retry delay; doubles with each attempt"
    )
    lease_seconds: float = Field(
        default=300, gt=0, description="How long a worker's claim on a recipient lasts unrenewed"
    )
    webhook_secret: str | None = Field(
        default=None, description="Bearer token required by POST /webhooks/bounce"
    )
    # Bounces and complaints from the return mailbox (see linked.bounces).
    bounce_address: str | None = Field(
        default=None,
        description="Return mailbox, e.g. bounces@example.org; set = VERP envelope senders",
    )
    bounce_imap_url: str | None = Field(
        default=None,
        description="imaps://user:pass@host[:port]/INBOX or imap://… (STARTTLS when offered)",
    )
    bounce_imap_ca_file: str | None = Field(
        default=None, description="CA bundle to trust for the IMAP server (default: system's)"
    )
    bounce_poll_minutes: float = Field(
        default=5, gt=0, description="How often `linked serve`/`linked worker` fetch bounces"
    )
    bounce_processed_folder: str = Field(
        default="Processed", description="IMAP folder handled bounces are moved to"
    )
    bounce_delete_processed: bool = Field(
        default=False, description="Delete handled bounces instead of moving them"
    )
    soft_bounce_limit: int = Field(
        default=3, ge=1, description="Soft bounces on distinct sends within 30 days = bounced"
    )
    dkim_selector: str | None = Field(default=None, description="DKIM selector; unset = no DKIM")
    dkim_private_key_path: Path | None = Field(
        default=None, description="PEM private key for DKIM signing"
    )
    dkim_domain: str | None = Field(
        default=None, description="DKIM d= domain; default the From address's domain"
    )

    # Scheduling and `linked serve` (see linked.scheduler and linked.server).
    schedule_grace_hours: float = Field(
        default=6,
        gt=0,
        description="A scheduled send missed by at most this long still starts; later = reported",
    )
    worker_poll_seconds: float = Field(
        default=2, gt=0, description="How often `linked serve` looks for sends to deliver"
    )

    # The console at /admin/ (see linked.accounts and linked.web.admin).
    console_idle_minutes: int = Field(
        default=30, ge=1, description="A console session ends after this long unused"
    )
    console_session_hours: float = Field(
        default=12, gt=0, description="A console session ends this long after sign-in, used or not"
    )
    sign_in_limit: int = Field(
        default=10,
        ge=1,
        description="Failed sign-ins per address (and 5x that per IP) in 15 min before 429",
    )
    require_totp: bool = Field(
        default=False, description="Every console account must use a second factor (TOTP)"
    )
    send_requires_approval: bool = Field(
        default=True,
        description="Four eyes: a sender other than the last editor approves an edition's exact "
        "files before it is scheduled or sent",
    )

    # Retention (storage limitation), run daily by `linked serve` and `linked worker`.
    pending_days: int = Field(
        default=30, ge=1, description="Sign-ups never confirmed are deleted after this many days"
    )
    delivery_log_days: int = Field(
        default=400, ge=1, description="Delivery rows lose their address after this many days"
    )


def load_settings(root: Path | str = ".", **overrides: Any) -> Settings:
    """Build settings for a project root, turning validation errors into one clear message."""
    root = Path(root)
    if not root.is_dir():
        raise LinkedError(f"project root {root} is not a folder")
    try:
        return Settings(root=root, **overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"]) or "settings"
            lines.append(f"setting {field!r}: {err['msg']}")
        raise LinkedError(
            f"invalid settings (from {root / CONFIG_FILE} or LINKED_* variables):\n  "
            + "\n  ".join(lines)
        ) from exc
