"""The operations dashboard: is every referral answered on time, and where is it not."""

from .web import Dashboard

__all__ = ["Dashboard"]
