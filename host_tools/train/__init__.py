"""Fine-tune on the user's photos: train -> blob + report."""

# Epochs at most, per recipe (early stopping may end sooner): the one default that the
# command line, `make help` and the studio read. No import here: `make help` reads it
# with the system's python3.
EPOCHS = {"cached": 10, "full": 40}
