"""Lindung notifier: delivers referrals and alerts, and records each delivery."""
