"""Fine-tune on the user's photos: train -> blob + report."""
