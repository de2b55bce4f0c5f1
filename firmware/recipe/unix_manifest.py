# Frozen into the unix firmware: asyncio, as in the standard variant (nothing of the project's).
include("$(MPY_DIR)/extmod/asyncio")
