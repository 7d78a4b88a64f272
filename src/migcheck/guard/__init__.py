"""The guards at the edge of the linted tree, which every stage uses and which use nothing else.

``readfile``: how any file of the tree comes in (regular files only, non-blocking, size-capped).
``escape``: how text derived from it goes out (per medium: terminal, log line, markdown, JSON/SARIF).
``toml``: how its TOML files are parsed (whatever they hold, valid or one error, never a traceback).
A stranger's pull request is linted in CI; these are where that is made safe (docs/security.md).
"""
