"""kmipd: Kaplan-Meier figures to individual patient data to pooled results.

The work is done by three stage packages that can each be used alone:
``digitize`` (image -> curves), ``reconstruct`` (curves -> IPD) and ``meta``
(IPD of many studies -> pooled results). This package holds only what they
share (errors, CSV contracts, staged output) and the command-line interface.
"""

__version__ = "0.1.0"
