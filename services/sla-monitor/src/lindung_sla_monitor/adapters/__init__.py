"""The sla-monitor's I/O: its PostgreSQL tables."""
