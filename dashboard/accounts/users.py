"""User management for owners and admins: invite, change role, deactivate, set password."""
