"""Local infrastructure for Lindung: the real Kafka broker and PostgreSQL, and the demo."""
