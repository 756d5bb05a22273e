"""Lindung intake: the only door in (HTTP API and the agency Kafka topic)."""
