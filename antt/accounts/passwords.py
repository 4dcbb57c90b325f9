"""Password hashing: Argon2id first, PBKDF2 kept so older hashes still verify.

Argon2id is memory-hard: each guess needs its own 46 MiB, so an attacker's GPU or ASIC cannot
run thousands of guesses side by side as it can for PBKDF2-SHA256, whose only cost is CPU.
The parameters are the first of OWASP's Password Storage Cheat Sheet for Argon2id
(m = 46 MiB, t = 1, p = 1; the sheet lists it beside m = 19 MiB, t = 2 as equally strong, and
asks 600,000 iterations of PBKDF2-SHA256 as that algorithm's minimum). It costs the server
~50 ms of CPU per login where Django's PBKDF2 (1,000,000 iterations) costs ~250-350 ms and
Django's own Argon2 settings (100 MiB, t = 2, p = 8) ~190 ms, which matters when 200 officers
log in before a deadline on 2 cores (docs/reliability.md, "Load"). One thread per hash (p = 1):
the web workers already use the cores, more threads would only add switching. Memory: 46 MiB
per login being checked at that moment (12 at most with gunicorn's 3 workers x 4 threads).

A user whose stored hash is PBKDF2 (or Argon2 with other parameters) logs in as before;
Django then stores an Argon2id hash with these parameters (``must_update``)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (algorithm ``argon2``, Argon2id) with OWASP's parameters."""

    time_cost = 1
    memory_cost = 47104  # KiB = 46 MiB
    parallelism = 1
