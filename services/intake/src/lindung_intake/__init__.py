"""Lindung intake: the only door in."""
