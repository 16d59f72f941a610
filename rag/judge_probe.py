"""A linear probe on the local model's hidden state: does this sentence answer the question?

The judge (``rag.decide``) asks the 1.5B model "does the sentence answer the question? Yes or No"
and reads P(Yes) from its next-token probabilities. That word is the model's last, lossy step:
a logistic regression on the hidden state of one of its middle layers, at the same prompt's last
token, separates answerable from unanswerable questions better (docs/eval.md, "A probe on the
judge's hidden state"). The probe is trained by ``eval.train_probe`` on a question set's gold sentences
against the sentences judged for its unanswerable questions, and belongs to one model file: it is
used only when the loaded GGUF has the name it was trained on.

What this leaves out: reading the hidden state (``rag.llm.ChatLlamaCpp``) and deciding with it
(``rag.decide``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError

# The probe shipped with the project, for the default model (``make setup``).
DEFAULT_PROBE = Path(__file__).with_name("judge_probe.json")


@dataclass(frozen=True)
class Probe:
    """``P(answers) = sigmoid(coef · (h - mean) / scale + intercept)`` for the hidden state ``h`` of
    ``layer`` (llama.cpp's ``l_out-<layer>`` tensor) at the judge prompt's last token."""

    model: str  # the GGUF file name it was trained on
    layer: int
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    trained_on: str = ""  # how it was made: the set, the candidates, the measured AUC

    @property
    def tensor(self) -> str:
        return f"l_out-{self.layer}"

    def p(self, hidden: np.ndarray) -> float:
        z = float(np.dot(self.coef, (np.asarray(hidden, dtype=np.float64) - self.mean) / self.scale)) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "layer": self.layer, "intercept": self.intercept, "trained_on": self.trained_on,
                "mean": [round(float(v), 6) for v in self.mean], "scale": [round(float(v), 6) for v in self.scale],
                "coef": [round(float(v), 8) for v in self.coef]}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=0) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Probe:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            mean, scale, coef = (np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef"))
            probe = cls(model=str(data["model"]), layer=int(data["layer"]), mean=mean, scale=scale, coef=coef,
                        intercept=float(data["intercept"]), trained_on=str(data.get("trained_on", "")))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"cannot read the judge probe {path}: {e}") from e
        if not (len(mean) == len(scale) == len(coef)) or not np.all(scale > 0):
            raise ConfigError(f"the judge probe {path} is malformed: its vectors differ in length or scale ≤ 0")
        return probe
