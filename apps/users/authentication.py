"""JWT authentication that also refuses tokens of deactivated users and tokens issued before
"log out everywhere" or a password reset (the ``tokens_valid_after`` cut-off is enforced through
the blacklist, see services)."""

from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt's authentication; a ``www_authenticate`` header keeps 401s well-formed."""
