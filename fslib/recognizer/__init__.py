"""Stage (iv) of the fingerspelling pipeline: the RGB-only recognizer and its distillation from a hand model.

hand crops (uint8, :mod:`fslib.preprocess`) -> ResNet34 (:mod:`.backbones`) -> per-frame features ->
1D-CNN -> BiGRU (:mod:`.heads`) -> CTC over the alphabet (:mod:`.model`). Training (:mod:`.train`) adds the
CTC of the 1D-CNN stage, a KL term between the stages and a cosine distillation of the projected per-frame
features towards a teacher's vectors (:mod:`.losses`, :mod:`fslib.teachers`); each term is switched by its
weight in :class:`.config.RecognizerConfig`. Evaluation (:mod:`.evaluate`, :mod:`.metrics`,
:mod:`.decode`): greedy and beam CTC decoding, letter accuracy in the plain and the ChicagoFSWild (HTK)
conventions, the learned-nothing baseline, per-signer accuracy, confusions. Results go to one long-format
table per profile (:mod:`fslib.results`). :mod:`.experiment` chains the stages for notebooks and ``fslib train``.
"""

from .config import LOSS_VARIANTS, RecognizerConfig, make_config
from .model import Recognizer, build_recognizer

__all__ = ["LOSS_VARIANTS", "Recognizer", "RecognizerConfig", "build_recognizer", "make_config"]
