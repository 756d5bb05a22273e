"""Lindung router: which services a child needs, which provider, by when."""
