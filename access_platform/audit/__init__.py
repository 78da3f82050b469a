"""The audit trail: one append-only event for every change made through the API, SCIM or the CLI.

:mod:`~access_platform.audit.recorder` writes events in the transaction of
the change, :mod:`~access_platform.audit.delivery` hands committed events
to the ``access_platform_audit_event`` hook, and
:mod:`~access_platform.audit.views` serves ``/api/v1/auditEvents``.
"""
