"""Print the vignette items of the lead-calibration instrument from its design.

The 16 vignettes of ``instruments/definitions/lead_calibration/1.0.yaml`` are the runs of the
2^(6-2) fractional factorial of resolution IV (generators E = ABC, F = BCD) over the six
attributes, in standard order: every attribute's two levels appear eight times each, the
attributes are mutually orthogonal, and no main effect is aliased with a two-factor
interaction, so each attribute's weight can be estimated. Running this script again prints the
same items; ``tests/instruments/test_lead_calibration.py`` checks the file against it.

Usage::

    .venv/bin/python benchmarks/lead_design.py > /tmp/items.yaml
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.calibration_simulation import fractional_factorial  # noqa: E402

#: Attribute id -> (level shown at +1, level shown at -1), in the instrument's order.
ATTRIBUTES = {
    "company": ("target", "outside"),
    "contact": ("decision_maker", "junior"),
    "budget": ("confirmed", "unknown"),
    "timing": ("this_quarter", "none"),
    "engagement": ("high", "low"),
    "source": ("inbound", "event"),
}
GENERATORS = [(0, 1, 2), (1, 2, 3)]
QUESTION = {"en": "How would you classify this lead?", "de": "Wie würden Sie diesen Lead einstufen?"}


def profiles() -> dict[str, dict[str, str]]:
    """Vignette id -> {attribute: level}, from the design."""
    codes = fractional_factorial(4, GENERATORS)
    result = {}
    for run, row in enumerate(codes, start=1):
        result[f"lead{run:02d}"] = {
            attribute: levels[0] if code == 1 else levels[1]
            for (attribute, levels), code in zip(ATTRIBUTES.items(), row, strict=True)
        }
    return result


def main() -> int:
    lines = ["items:"]
    for position, (vignette, profile) in enumerate(profiles().items()):
        if position and position % 4 == 0:
            lines.append("  - page_break")
        lines += [
            f"  - id: {vignette}",
            "    dimension: lead_readiness",
            "    scale: readiness",
            f'    text: {{en: "{QUESTION["en"]}", de: "{QUESTION["de"]}"}}',
            "    profile: {" + ", ".join(f"{a}: {level}" for a, level in profile.items()) + "}",
        ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
