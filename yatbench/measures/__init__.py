"""What a run measures besides its loss and accuracy, from the trained model, the data and the
history: prototype analysis (:mod:`analysis`), gradient norms per layer (:mod:`gradients`), the
attention gate's division of labour (:mod:`labour`) and the Yat layer's on-chip cost (:mod:`onchip`).
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "nn", "data", "models", "train")
