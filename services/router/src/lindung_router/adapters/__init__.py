"""The router's I/O: PostgreSQL queries and the policy and directory files."""
