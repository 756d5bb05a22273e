"""Lindung sla-monitor: every open deadline, warned before and escalated after."""
