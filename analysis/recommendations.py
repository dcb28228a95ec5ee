"""Practices that close a sales-marketing gap, one per alignment dimension, and their choice.

Each dimension of the alignment instrument matches a cause of misalignment seen in the
field and the practice of aligned organisations (``shared/DOMAIN.md``). The report turns
the largest significant gaps between sales and marketing, and the lowest shared ratings,
into :class:`Recommendation` s written with the organisation's own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRACTICES", "Practice", "Recommendation"]


@dataclass(frozen=True)
class Practice:
    """What an aligned organisation does about one dimension."""

    #: Short imperative title.
    title: str
    #: One or two sentences on what to do.
    action: str


#: Alignment dimension id -> practice. Our own wording of the remedies in DOMAIN.md.
PRACTICES: dict[str, Practice] = {
    "shared_definitions": Practice(
        "Write down what a lead is",
        "Agree written definitions of each lead stage (for example enquiry, marketing-qualified, "
        "sales-accepted) and name which team owns a prospect at every stage.",
    ),
    "strategy": Practice(
        "Make one plan both teams can state",
        "Work out one plan for the year: what the company sells, to whom and with which priorities, "
        "and check that people in both teams describe it the same way.",
    ),
    "target_customer": Practice(
        "Describe the ideal customer together",
        "Draft a shared ideal-customer profile and personas (industry, size, the decision-makers to "
        "reach) and use the same description for campaigns and for prospecting.",
    ),
    "shared_goals": Practice(
        "Derive both teams' targets from revenue",
        "Set joint targets backwards from revenue: the close rate gives the pipeline needed, the "
        "pipeline the number of qualified leads, so both teams answer for the same figures.",
    ),
    "incentives": Practice(
        "Reward joint results",
        "Tie part of both teams' bonuses and recognition to shared outcomes such as pipeline "
        "converted or revenue from marketing-sourced leads, not only to each team's own number.",
    ),
    "lead_quality": Practice(
        "Score leads in a way both teams trust",
        "Build a lead-scoring model together, review it against won and lost deals, and reward "
        "lead quality rather than lead volume.",
    ),
    "handover": Practice(
        "Agree the hand-over in a service-level agreement",
        "Fix the point at which a lead passes to sales and what follows: how fast sales responds, "
        "how many attempts it makes, and when an unworked lead goes back to marketing.",
    ),
    "feedback": Practice(
        "Close the feedback loop",
        "Hold a regular joint review in which sales reports what happened to the leads it received "
        "and marketing reports what it is planning, with the same pipeline report in front of both.",
    ),
    "data_systems": Practice(
        "Build one view of the customer",
        "Connect the CRM and the marketing tools so that both teams see the same record of each "
        "customer, its history and its stage.",
    ),
    "lifecycle": Practice(
        "Hand customers back after the sale",
        "Agree how customers return to marketing after the sale for onboarding, loyalty and "
        "referral programmes, and who keeps in touch with them.",
    ),
    "understanding": Practice(
        "Learn how the other team works",
        "Let people shadow the other team, rotate into joint projects and share the pressures and "
        "measures each team works under, so differences are known rather than assumed.",
    ),
    "trust": Practice(
        "Own problems jointly",
        "Review missed targets together and look for causes in the shared process rather than in "
        "the other team; agree who fixes what and report back.",
    ),
}


@dataclass(frozen=True)
class Recommendation:
    """One recommended practice, with the numbers that led to it."""

    #: The alignment dimension it addresses.
    dimension: str
    #: ``"gap"`` (sales and marketing see it differently) or ``"level"`` (both rate it low).
    basis: str
    title: str
    #: The finding in the organisation's numbers followed by the practice.
    text: str
    #: Hedges' g of the gap (sales minus marketing) or NaN for a level recommendation.
    g: float
    #: Benjamini-Hochberg adjusted p of the gap, or NaN.
    p_adjusted: float
    #: Organisation mean on the dimension.
    mean: float
