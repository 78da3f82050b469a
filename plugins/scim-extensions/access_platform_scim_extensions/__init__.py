"""SCIM schema extensions for access-platform, declared in RFC 7643 JSON files.

Enable with ``access_platform.plugins = scim_extensions``; the README lists
the settings and the file format.
"""
