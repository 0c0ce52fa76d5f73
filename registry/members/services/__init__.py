"""Who may do what, and people joining organizations and getting roles.

Permissions are data: one enum, one role→permissions map (``models.ROLE_PERMISSIONS``) and one
check, used by every view and every API call. Services flush; the request commits. One module
per concern; import them by name (nothing is re-exported here).
"""
