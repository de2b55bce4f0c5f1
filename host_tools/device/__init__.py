"""Real boards: the board registry (boards/*/board.json), fit, the serial transport, deploy (flash), monitor, capture."""
