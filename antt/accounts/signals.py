"""What the accounts part of the project announces; the apps that keep records listen.

``two_factor_changed``: a user's two-step verification went on or off (``old``/``new``: "off"
or "on"), sent inside the transaction that changed it; ``by``: the user, an administrator or
``None`` (a command run without ``--by``). The certification app writes it to the audit trail
(``certification.apps``), so that antt itself imports no app.
"""

from django.dispatch import Signal

two_factor_changed = Signal()  # sender: the user model; kwargs: user, by, old, new

# A user's password or sessions changed (``action``: "password_changed", "password_reset",
# "sessions_ended"), sent inside the request that changed them; ``by``: who did it. The
# certification app writes it to the audit trail, never the password.
account_changed = Signal()  # sender: the user model; kwargs: user, by, action
