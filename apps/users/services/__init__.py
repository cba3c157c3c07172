"""Every write of the accounts area, one module per concern:

============  ==================================================================================
``accounts``  sign-up, e-mail verification, one-time e-mail tokens, accounts made without a password
              (walk-ins, imports), profile and picture, activation by an admin
``sessions``  login (with the lockout), JWT sessions (refresh, logout, revoke all), passwords
============  ==================================================================================
"""
