"""OpenID Connect and JWT bearer tokens for access-platform's ``/api/v1``.

The plugin object is :data:`access_platform_oidc.plugin.oidc_plugin`,
registered under the entry point ``oidc`` in the ``access_platform.plugins``
group.
"""
