"""Invitations: bringing a person into a workspace with a role."""
