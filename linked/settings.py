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

    root: Path = Field(
        default=Path("."),
        description="The project folder (editions/, templates/, subscribers/, linked.toml); "
        "chosen with linked --root",
    )
    database_url: str | None = Field(
        default=None,
        description="Where subscribers, sends and console accounts are kept, as an SQLAlchemy "
        "URL such as postgresql+psycopg://user:pass@host/linked. Unset: a SQLite file, "
        "subscribers/linked.db",
    )
    smtp_url: str | None = Field(
        default=None,
        description="The mail relay: smtp+starttls://user:pass@host:587, "
        "smtps://user:pass@host:465 or smtp://host:25, with the password percent-encoded "
        "(the operator's guide shows how). Unset: nothing is sent; each message is written to "
        "outbox/ as an .eml file",
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the certificate authority that signed the relay's certificate "
        "(an internal CA, or a self-signed relay's own certificate), added to the system's "
        "trusted roots so public relays keep working. Unset: the system's trusted roots only",
    )
    smtp_tls_verify: bool = Field(
        default=True,
        description="Check the relay's TLS certificate and name. With false neither is checked, "
        "so anyone on the path could read the password and every message: for tests only, "
        "and Linked warns on every send (use smtp_ca_file instead)",
    )
    smtp_helo_name: str | None = Field(
        default=None,
        description="The name Linked greets the relay with (EHLO); some relays refuse "
        "localhost. Unset: this host's fully qualified name, else the From address's domain",
    )
    base_url: str = Field(
        default="http://localhost:8000",
        description="The public address of the archive and web app, starting http:// or "
        "https://; every link and image in a message points under it",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs the confirm and unsubscribe links in every mail; changing or losing "
        "it breaks the links already sent. Unset: a random key made once and kept in "
        "subscribers/.secret_key (back it up)",
    )
    from_address: str = Field(
        default="Linked <bulletin@localhost>",
        # DESIGN.md names it LINKED_FROM (env) and `from` (linked.toml).
        validation_alias=AliasChoices("LINKED_FROM", "from", "from_address"),
        description="The From header of every message, as Name <address>, at a domain of your "
        "own (sending over SMTP refuses the default's localhost)",
    )
    timezone: str = Field(
        default="Europe/London",
        description="The time zone, such as Europe/London, of times given without one "
        "(linked schedule --at, the console) and of times shown",
    )
    allow_local_links: bool = Field(
        default=False,
        description="Send over SMTP even while base_url is http:// or at localhost, or the From "
        "address is not at a real domain (otherwise refused; the outbox is always allowed). "
        "For tests against a local mail server; linked --allow-local-links sets it for one "
        "command",
    )

    # The bulletin's identity, shown in the email header and footer and on archive pages.
    bulletin_name: str = Field(
        default="Linked",
        description="The bulletin's name: in page titles, the subjects of confirmation and "
        "welcome mails, and the List-Id header",
    )
    organisation: str = Field(
        default="Durham Safeguarding Children Partnership",
        description="Who publishes the bulletin: in every message's header and footer and on "
        "the archive pages",
    )
    contact: str = Field(
        default="Durham Safeguarding Children Partnership Business Unit · dscp@durham.gov.uk",
        description="How readers reach the publisher (a team and an email address), in every "
        "message's footer",
    )
    logo_alt: str = Field(
        default="Durham Safeguarding Children Partnership",
        description="The logo's text alternative in messages and on archive pages, read out by "
        "screen readers and shown when images are off",
    )
    list_id: str | None = Field(
        default=None,
        description="The List-Id header, which mail programs use to group and filter the "
        "bulletin. Unset: the bulletin name and base_url's host, e.g. linked.news.example.org",
    )
    unsubscribe_mailto: str | None = Field(
        default=None,
        description="An address also offered in the List-Unsubscribe header, for unsubscribing "
        "by email (someone must act on what arrives there). Unset: only the one-click web link",
    )

    # Subscribers and double opt-in.
    confirm_token_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description="Days a confirmation link stays valid (unsubscribe links never expire)",
    )
    send_welcome: bool = Field(
        default=True, description="Send a welcome mail when a subscriber confirms"
    )
    subscribe_limit_per_ip: int = Field(
        default=10, ge=1, description="Subscribe requests accepted from one IP address per hour"
    )
    confirm_mail_limit: int = Field(
        default=3, ge=1, description="Confirmation mails sent to one address per day"
    )

    # The web app behind a reverse proxy (see linked.web.proxies).
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Reverse proxies (addresses or networks) whose X-Forwarded-For header is "
        "believed, so limits and the consent log see the reader's address: a list in "
        "linked.toml, comma-separated in the variable (10.0.0.2,10.1.0.0/16). Default none; a "
        "proxy on the same host needs only linked serve --proxy-headers",
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
    smtp_pool_size: int = Field(
        default=10,
        ge=1,
        le=200,
        description="Connections to the relay each sending process keeps open at once",
    )
    smtp_max_per_connection: int = Field(
        default=100,
        ge=1,
        description="Messages sent over one connection before it is closed and reopened",
    )
    rate_per_second: float = Field(
        default=0,
        ge=0,
        description="Most messages sent per second, across all connections of all workers; "
        "0 = no limit",
    )
    rate_per_hour: float = Field(
        default=0,
        ge=0,
        description="Most messages sent per hour, across all connections of all workers; "
        "0 = no limit",
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        description="Tries per recipient while the relay answers with a temporary (4xx) "
        "failure; after the last, the recipient is marked failed",
    )
    retry_base_seconds: float = Field(
        default=60,
        gt=0,
        description="Seconds before the first retry after a temporary failure; the wait "
        "doubles with each attempt",
    )
    lease_seconds: float = Field(
        default=300,
        gt=0,
        description="Seconds a worker's claim on a recipient lasts unrenewed; if the worker "
        "dies, another takes the recipient over after this",
    )
    webhook_secret: str | None = Field(
        default=None,
        description="The bearer token that reports to POST /webhooks/bounce must carry. "
        "Unset: that address refuses every report",
    )
    # Bounces and complaints from the return mailbox (see linked.bounces).
    bounce_address: str | None = Field(
        default=None,
        description="The return mailbox, e.g. bounces@example.org: each message's envelope "
        "sender becomes bounces+<signed delivery token>@example.org (VERP), so a bounce names "
        "its delivery. Unset: the envelope sender is the From address",
    )
    bounce_imap_url: str | None = Field(
        default=None,
        description="The mailbox linked bounces fetch reads: imaps://user:pass@host[:port]/INBOX, "
        "or imap://… (STARTTLS when offered). Unset: bounces are not fetched",
    )
    bounce_imap_ca_file: str | None = Field(
        default=None,
        description="PEM file of the certificate authorities to trust for the IMAP server, "
        "instead of the system's. Unset: the system's CA bundle",
    )
    bounce_poll_minutes: float = Field(
        default=5,
        gt=0,
        description="Minutes between bounce fetches by linked serve and linked worker (one "
        "fetcher at a time)",
    )
    bounce_processed_folder: str = Field(
        default="Processed", description="The IMAP folder handled bounces are moved to"
    )
    bounce_delete_processed: bool = Field(
        default=False,
        description="Delete handled bounces instead of moving them to bounce_processed_folder",
    )
    soft_bounce_limit: int = Field(
        default=3,
        ge=1,
        description="Soft bounces, on distinct sends within 30 days, that make a subscriber "
        "bounced (sent nothing more)",
    )
    dkim_selector: str | None = Field(
        default=None,
        description="The DKIM selector: the public key is published at "
        "selector._domainkey.domain in DNS. Needs dkim_private_key_path. Unset: messages are "
        "not DKIM-signed",
    )
    dkim_private_key_path: Path | None = Field(
        default=None,
        description="PEM file of the private key messages are DKIM-signed with. Needs "
        "dkim_selector. Unset: no DKIM signature",
    )
    dkim_domain: str | None = Field(
        default=None,
        description="The domain (d=) messages are DKIM-signed for. Unset: the From address's "
        "domain",
    )

    # Scheduling and `linked serve` (see linked.scheduler and linked.server).
    schedule_grace_hours: float = Field(
        default=6,
        gt=0,
        description="Hours a scheduled send may be missed by (Linked was not running) and "
        "still start; missed by longer, it is reported, not sent",
    )
    worker_poll_seconds: float = Field(
        default=2,
        gt=0,
        description="Seconds between looks by linked serve and linked worker for sends to "
        "deliver and queued confirmation mails",
    )

    # The console at /admin/ (see linked.accounts and linked.web.admin).
    console_idle_minutes: int = Field(
        default=30, ge=1, description="Minutes a console session may go unused before it ends"
    )
    console_session_hours: float = Field(
        default=12,
        gt=0,
        description="Hours after sign-in that a console session ends, used or not",
    )
    sign_in_limit: int = Field(
        default=10,
        ge=1,
        description="Failed console sign-ins per address (and five times as many per IP "
        "address) in 15 minutes before sign-in is refused for a while (429)",
    )
    require_totp: bool = Field(
        default=False,
        description="Every console account must sign in with a code from an authenticator app "
        "(TOTP) as well as its password",
    )
    send_requires_approval: bool = Field(
        default=True,
        description="Four eyes: a sender other than the last editor approves an edition's exact "
        "files before it is scheduled or sent",
    )

    # Retention (storage limitation), run daily by `linked serve` and `linked worker`.
    pending_days: int = Field(
        default=30,
        ge=1,
        description="Days after which sign-ups never confirmed are deleted",
    )
    delivery_log_days: int = Field(
        default=400,
        ge=1,
        description="Days after which delivery records lose the recipient's address",
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
