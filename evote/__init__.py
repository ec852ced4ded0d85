"""evote: verifiable elections, referendums and participatory budgets.

The top level gathers the recipes a portal developer needs; :mod:`evote.crypto` holds the
sharp primitives, for people who know what they are doing.
"""

__version__ = "0.1.0"
