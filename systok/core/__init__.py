"""The pure core: rules as plain functions over plain data.

Nothing in this package imports the database, the web, the network or a chain. The
simulator and the tests use it directly, so what is simulated is exactly what runs.
"""
