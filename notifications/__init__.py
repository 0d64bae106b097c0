"""Notifications: stored per user, pushed live over a WebSocket, e-mailed by a worker.

A generic app: it imports no domain app. Other apps call ``notifications.services.notify``.
"""
