"""ConAktiv server simulator: package builder, site installer, server, service wrapper, users, test API.

See tests/simulator/README.md for the contract.
"""
