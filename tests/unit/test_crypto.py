"""AES-256-GCM with a key ring: values bound to their row and column, keys rotate."""
import base64

import pytest

from linktime.crypto import DecryptionError, EncryptionConfigError, KeyRing, generate_key

pytestmark = pytest.mark.same_on_every_database  # no database in these tests (CI runs them on SQLite only)


def test_round_trip_with_a_fresh_nonce_each_time():
    ring = KeyRing.from_config(generate_key())
    one, two = ring.encrypt("secret-token", "t.c:1"), ring.encrypt("secret-token", "t.c:1")
    assert one != two and "secret-token" not in one
    assert ring.decrypt(one, "t.c:1") == ring.decrypt(two, "t.c:1") == "secret-token"


def test_a_value_moved_to_another_row_or_column_does_not_open():
    ring = KeyRing.from_config(generate_key())
    blob = ring.encrypt("x", "zoom_connections.access_token_enc:row-1")
    for context in ("zoom_connections.access_token_enc:row-2", "zoom_connections.refresh_token_enc:row-1"):
        with pytest.raises(DecryptionError, match="altered or belongs to another record"):
            ring.decrypt(blob, context)


def test_tampering_is_detected():
    ring = KeyRing.from_config(generate_key())
    blob = ring.encrypt("x", "c")
    flipped = blob[:-2] + ("A" if blob[-2] != "A" else "B") + blob[-1]
    with pytest.raises(DecryptionError):
        ring.decrypt(flipped, "c")
    with pytest.raises(DecryptionError, match="not an encrypted value"):
        ring.decrypt("plain text", "c")


def test_rotation_old_values_open_with_the_old_key_new_ones_use_the_new():
    old, new = generate_key(), generate_key()
    blob = KeyRing.from_config(old).encrypt("x", "c")
    ring = KeyRing.from_config(f"{new},{old}")
    assert ring.decrypt(blob, "c") == "x" and not ring.is_current(blob)
    assert ring.is_current(ring.encrypt("x", "c"))
    with pytest.raises(DecryptionError, match="not in ENCRYPTION_KEYS"):
        KeyRing.from_config(new).decrypt(blob, "c")


@pytest.mark.parametrize("value,message", [
    ("", "empty"),
    ("not base64!", "not base64"),
    (base64.b64encode(b"short").decode(), "needs 32"),
])
def test_bad_key_configuration_is_explained(value, message):
    with pytest.raises(EncryptionConfigError, match=message):
        KeyRing.from_config(value)


@pytest.mark.parametrize("cut", [1, 5, 17, 27, 40])
def test_a_truncated_value_is_a_decryption_error(cut):
    ring = KeyRing.from_config(generate_key())
    blob = ring.encrypt("a secret", "c")
    prefix, kid, payload = blob.split(".", 2)
    with pytest.raises(DecryptionError):
        ring.decrypt(f"{prefix}.{kid}.{payload[:cut]}", "c")
    with pytest.raises(DecryptionError):
        ring.decrypt(blob[:-cut], "c")
