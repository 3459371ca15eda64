"""trygghet: citizen safety surveys to weighted figures and medborgarlöfte reports.

The package follows the data one way (see README): ``load`` and ``clean`` turn a
raw export into the canonical respondent table of ``schema``; ``weights`` and
``estimate`` make weighted figures with design-based uncertainty; ``suppress``
is the one gate before anything is published; ``promises`` follows up the
medborgarlöfte; ``charts``, ``theme`` and ``render`` make the reports.
"""

__version__ = "0.1.0"
