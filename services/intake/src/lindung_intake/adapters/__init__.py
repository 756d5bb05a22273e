"""Intake's adapters: PostgreSQL and the API keys file."""
