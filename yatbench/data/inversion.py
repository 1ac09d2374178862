"""MNIST under inversion: does a model trained on clean digits still read inverted ones?

The model trains on MNIST exactly as the ``mnist`` dataset gives it (same options;
``preprocess`` defaults to ``center`` here) and is evaluated on the clean test set and on three inversions, each
reported separately with its accuracy and retention = inverted / clean accuracy:

- ``pixel_inverted`` (in ``Splits.eval_sets``): the classic "negative image", 1 − r on the raw
  [0, 1] pixels r, then the same transform t the training data got (``preprocess``: none,
  center or standardize): t(1 − r).
- ``sign_inverted`` (in ``Splits.eval_sets``): −t(r), the sign flip of the model's input (of the
  centred input under the default ``preprocess: center``).
- weight negation, w → −w on the first layer: a change to the model, not the data, so a measurement
  does it (``yatbench/measures/inversion.py``: negating ``model.input_weights()``, see :mod:`yatbench.models`)
  and evaluates on the clean test set, on every run whose data carries ``sign_inverted``.

The honest contrast is the plain linear classifier: its logits are W·x + b, so under sign
inversion they become −W·x + b and their order over the classes reverses (the most likely
class becomes the least likely); pixel inversion t(1 − r) = −t(r) + (1 − 2·mean) on centered
inputs is the same flip plus a constant image. It therefore falls *below* chance (10%) on both
input inversions. A Yat neuron's numerator (w·x + b)² is even in x when b = 0, but its
distance ‖w − x‖² is not, so how much it retains is a measurement, not a given.
"""

from __future__ import annotations

from dataclasses import dataclass

from yatbench.data.mnist import ImageSplits, MnistConfig

PIXEL_INVERTED = "pixel_inverted"
SIGN_INVERTED = "sign_inverted"


@dataclass
class InversionConfig(MnistConfig):
    """MNIST options (source, data_dir, download, preprocess, max_train, max_test); ``preprocess`` is
    ``center`` by default, so that −x is a sign flip around the mean digit."""

    name: str = "inversion"
    preprocess: str = "center"

    def load(self, seed: int) -> ImageSplits:
        """Clean splits plus ``pixel_inverted`` and ``sign_inverted`` in ``eval_sets``."""
        raw = self._load_raw()
        splits = self._finish(raw)
        inverted = splits.transform(1.0 - raw.x_test)
        splits.eval_sets = {
            PIXEL_INVERTED: (inverted, splits.y_test),
            SIGN_INVERTED: (-splits.x_test, splits.y_test),
        }
        return splits
