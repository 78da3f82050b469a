"""Workspaces: the scopes inside the tenant where roles can be assigned."""
