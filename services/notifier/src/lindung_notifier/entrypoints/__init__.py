"""How the notifier is started: the Faust app."""
