"""A small Django + DRF project that uses signed_api the way a user would (docs/quickstart.md)."""
