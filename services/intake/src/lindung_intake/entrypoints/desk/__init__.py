"""The desk: people sign in through OpenID Connect and act on referrals, in Malay or English."""

from .app import PREFIX, DeskDoor, create_desk

__all__ = ["PREFIX", "DeskDoor", "create_desk"]
