"""Trust: which public keys may sign which certificates, and what was revoked."""
