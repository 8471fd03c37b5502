"""authxai: do explanations of deep-network models of image authenticity judgments identify anything?

Subpackages: :mod:`authxai.data` (dataset adapters, planted-cue study), :mod:`authxai.psychometrics`,
:mod:`authxai.figures`; :mod:`authxai.tables` holds the table contracts.
"""

__version__ = "0.1.0"
