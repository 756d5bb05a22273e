"""Intake's doors: the HTTP API and the Kafka consumer."""
