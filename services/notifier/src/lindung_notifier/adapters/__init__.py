"""The notifier's I/O: PostgreSQL, the webhook client and the endpoints file."""
