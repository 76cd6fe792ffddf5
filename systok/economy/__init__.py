"""The economy: members and freezes, transfers and fees, the marketplace, emission.

Rooms: ``service`` (what the member API reads, one unit-of-work function each),
``transfers`` and ``marketplace`` (the writes), ``members`` (who exists, who is frozen),
``repository`` (all the SQL), ``schemas`` (the data shapes).
"""
