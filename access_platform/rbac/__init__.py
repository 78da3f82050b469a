"""Roles, permissions and role assignments."""
