"""Boards: deploy, monitor, emulate."""
