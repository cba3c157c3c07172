"""Every write to NPOs, memberships and invitations, one module per concern:

===========  ===================================================================================
``npos``     staff status, an NPO's create/update/delete, its workflow (submit → approve/reject,
             suspend/reinstate) and branding
``team``     members (role change, removal; never the last admin) and invitations (create, resend,
             revoke, accept)
===========  ===================================================================================
"""
