"""VAPID key pairs for Web Push (RFC 8292): made here for the demo, which keeps its pair in var/ so that browsers
subscribed once stay subscribed across restarts. Production sets its own pair in the environment."""

import base64
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key_pair() -> tuple[str, str]:
    """A fresh pair: the private key as base64url of its 32 bytes, the public key as base64url of its uncompressed
    point (what a browser's PushManager.subscribe takes as applicationServerKey)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(private), b64url(public)


def demo_key_pair(path: Path) -> tuple[str, str]:
    """The demo's pair, made on first use and kept in `path` (readable by its owner only)."""
    try:
        stored = json.loads(path.read_text())
        return stored["private"], stored["public"]
    except (OSError, ValueError, KeyError):
        pass
    private, public = new_key_pair()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump({"private": private, "public": public}, file)
    return private, public
