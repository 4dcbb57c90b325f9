"""What the accounts part of the project announces; apps that keep records listen.

``two_factor_changed``: a user turned two-step verification on or off (``old``/``new``:
"off"/"on"), sent inside the transaction that changed it, by ``by`` (the user themselves here).
The certification app writes it to the audit trail (``certification.apps``).
"""

from django.dispatch import Signal

two_factor_changed = Signal()  # sender: the user model; kwargs: user, by, old, new
