"""API keys in the OS keyring, and a Secret type that never shows its value.

Keys live only in the system keyring (Secret Service/KWallet, macOS Keychain, Windows Credential
Locker) through the ``keyring`` package: never in files, logs, session recordings, exceptions or
screenshots. Where the system has no keyring the functions raise :class:`KeyringUnavailable` with
a plain explanation. Any thread may call them.
"""

from __future__ import annotations

from dataclasses import dataclass

SERVICE = "workstation"
SUPPORTED = ("binance",)


class Secret:
    """A string that prints as ``***``: repr, str, format and f-strings never reveal it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value, for the one place that signs a request."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __reduce__(self) -> tuple:
        raise TypeError("a Secret cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


class KeyringUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class ApiKeys:
    api_key: str
    secret: Secret

    def __repr__(self) -> str:
        return f"ApiKeys(api_key='{key_hint(self.api_key)}', secret=Secret('***'))"


def key_hint(api_key: str) -> str:
    """Enough of the key to recognise it: its last four characters."""
    return f"...{api_key[-4:]}" if len(api_key) >= 8 else "..."


_UNAVAILABLE = (
    "no system keyring is available (Secret Service or KWallet on Linux, the macOS Keychain, the "
    "Windows Credential Locker). API keys are only ever kept there, never in a file: start a "
    "desktop session with a keyring, then try again."
)


def _call(method: str, *args: str):
    """Call keyring.<method>; a machine without a keyring gets KeyringUnavailable."""
    import keyring
    from keyring.errors import NoKeyringError

    try:
        return getattr(keyring, method)(*args)
    except NoKeyringError:
        raise KeyringUnavailable(_UNAVAILABLE) from None


def _check_venue(venue: str) -> None:
    if venue not in SUPPORTED:
        raise ValueError(f"keys are supported for {', '.join(SUPPORTED)} (got {venue!r})")


def store_keys(venue: str, api_key: str, secret: str) -> None:
    _check_venue(venue)
    if not api_key.strip() or not secret.strip():
        raise ValueError("both the API key and the secret are needed")
    _call("set_password", SERVICE, f"{venue}:api_key", api_key.strip())
    _call("set_password", SERVICE, f"{venue}:api_secret", secret.strip())


def load_keys(venue: str) -> ApiKeys | None:
    _check_venue(venue)
    key = _call("get_password", SERVICE, f"{venue}:api_key")
    secret = _call("get_password", SERVICE, f"{venue}:api_secret")
    if not key or not secret:
        return None
    return ApiKeys(key, Secret(secret))


def delete_keys(venue: str) -> bool:
    """Remove the venue's keys; returns whether there were any."""
    from keyring.errors import PasswordDeleteError

    _check_venue(venue)
    found = False
    for name in ("api_key", "api_secret"):
        try:
            _call("delete_password", SERVICE, f"{venue}:{name}")
            found = True
        except PasswordDeleteError:
            pass
    return found


def store_secret(name: str, value: str) -> None:
    """Keep another secret (e.g. ``notify:webhook``) in the keyring under ``name``."""
    if not value.strip():
        raise ValueError("the secret is empty")
    _call("set_password", SERVICE, name, value.strip())


def load_secret(name: str) -> Secret | None:
    value = _call("get_password", SERVICE, name)
    return Secret(value) if value else None


def delete_secret(name: str) -> bool:
    """Remove the secret ``name``; returns whether there was one."""
    from keyring.errors import PasswordDeleteError

    try:
        _call("delete_password", SERVICE, name)
    except PasswordDeleteError:
        return False
    return True
