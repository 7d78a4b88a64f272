"""The two guards at the edge of the linted tree, which every stage uses and which use nothing else.

``readfile``: how any file of the tree comes in (regular files only, non-blocking, size-capped).
``escape``: how text derived from it goes out (per medium: terminal, log line, markdown, JSON/SARIF).
A stranger's pull request is linted in CI; these two are where that is made safe (docs/security.md).
"""
