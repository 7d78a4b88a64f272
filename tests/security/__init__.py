"""migcheck's threat model as tests: one module per way an untrusted pull request (or a shared
host) could make ``migcheck lint`` run its code, hide findings, crash, or pass without linting.

Read with docs/security.md; every test here failed on the code before the hardening.
"""
