"""Economy services: emission, transfers and fees, (later) vesting, slashing, marketplace."""
