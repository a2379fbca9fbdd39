"""AES-256-GCM encryption of secrets at rest, with a key ring so keys can rotate.

A stored value looks like ``lt1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``: a random 96-bit
nonce per value, and associated data naming the table, column and row it belongs to — so a
ciphertext copied into another row or column does not decrypt. The key id (the first 8 hex
digits of the key's SHA-256) says which key of the ring opened it; the first key encrypts.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "lt1"


class EncryptionConfigError(RuntimeError):
    """ENCRYPTION_KEYS is missing or malformed: the app refuses to start."""


class DecryptionError(Exception):
    """A stored secret cannot be opened with the configured keys (missing key or tampering)."""


def generate_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class KeyRing:
    def __init__(self, keys: list[bytes]):
        if not keys:
            raise EncryptionConfigError("ENCRYPTION_KEYS holds no key")
        self.keys = {key_id(key): AESGCM(key) for key in keys}
        self.current = key_id(keys[0])

    @classmethod
    def from_config(cls, value: str | list | None) -> KeyRing:
        """Parse 'base64key,base64key' (first = current), explaining what is wrong."""
        if isinstance(value, (list, tuple)):
            value = ",".join(value)
        if not value or not str(value).strip():
            raise EncryptionConfigError("ENCRYPTION_KEYS is empty")
        keys = []
        for position, text in enumerate(str(value).split(","), start=1):
            try:
                key = base64.b64decode(text.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise EncryptionConfigError(f"ENCRYPTION_KEYS key {position} is not base64") from None
            if len(key) != 32:
                raise EncryptionConfigError(
                    f"ENCRYPTION_KEYS key {position} is {len(key)} bytes; AES-256 needs 32"
                )
            keys.append(key)
        return cls(keys)

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self.keys[self.current].encrypt(nonce, plaintext.encode(), context.encode())
        payload = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}.{self.current}.{payload}"

    def decrypt(self, blob: str, context: str) -> str:
        try:
            prefix, kid, payload = blob.split(".", 2)
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        except (ValueError, binascii.Error):
            raise DecryptionError("not an encrypted value") from None
        if prefix != PREFIX:
            raise DecryptionError("not an encrypted value")
        if kid not in self.keys:
            raise DecryptionError(f"encrypted with key {kid}, which is not in ENCRYPTION_KEYS")
        if len(raw) < 12 + 16:  # a nonce and a tag at the least: the value was cut short
            raise DecryptionError("the value was altered or belongs to another record")
        try:
            return self.keys[kid].decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (InvalidTag, ValueError):
            raise DecryptionError("the value was altered or belongs to another record") from None

    def is_current(self, blob: str) -> bool:
        return blob.startswith(f"{PREFIX}.{self.current}.")


class KeyFile:
    """The key ring read from the instance key file, read again whenever the file changes.

    ``rotate-keys --new-key`` (another process) rewrites the file; running workers then decrypt
    and encrypt with the new ring without a restart. A file that is momentarily unreadable or
    malformed leaves the last good ring in use.
    """

    def __init__(self, path: str, ring: KeyRing):
        self.path, self.ring = path, ring
        self.seen = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def current(self) -> KeyRing:
        stamp = self._stamp()
        if stamp is not None and stamp != self.seen:
            try:
                with open(self.path) as handle:
                    self.ring = KeyRing.from_config(handle.read().strip())
                self.seen = stamp
            except (OSError, EncryptionConfigError):
                pass  # keep the last good ring; the next call looks again
        return self.ring


def keyring() -> KeyRing:
    """The app's key ring as it is now (from the key file, when LinkTime generated one)."""
    from flask import current_app

    extensions = current_app.extensions
    key_file = extensions.get("linktime.keyfile")
    if key_file is not None:
        extensions["linktime.keyring"] = key_file.current()
    return extensions["linktime.keyring"]
