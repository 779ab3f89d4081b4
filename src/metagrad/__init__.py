"""metagrad: bias and variance of meta-gradient estimators (Vuorio et al., 2022), reproduced.

Kept deliberately light: importing ``metagrad`` does not import JAX.
"""

__version__ = "0.1.0"
