"""Runs at boot: the classifier app on this board (its module is copied as board.py)."""
import board
import app

app.main(board)
