"""migcheck's version: in reports, SARIF's tool entry, ``-V`` and the cache key."""

VERSION = "0.1.0"
