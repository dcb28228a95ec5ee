"""The words of the reports: every sentence and label a reader sees, in one catalogue.

The analysis library returns codes and numbers (a dimension id, a cause code such as
``"handover"``, Hedges' g, p-values); :mod:`survey.services.presenter` turns them into
sentences with the messages below. A message is a template with named ``{fields}``;
:func:`phrase` fills them and returns :class:`Segment` s, so that a field can be a team
name the page links to its team report, or a number set in bold, without any markup in
the message itself. To translate the reports, add a language to :data:`MESSAGES` (and the
cause and practice tables) with the same keys: a missing key falls back to English.
Numbers are formatted by :func:`number` for the language (decimal comma in German).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["CAUSE_TEXT", "MESSAGES", "OWNERS", "PRACTICES", "Segment", "number", "phrase", "say"]


@dataclass(frozen=True)
class Segment:
    """A run of text in a sentence: plain, bold, or a team's name (linked when it is shown)."""

    text: str
    #: Team id whose report this names (the page links it if that team is shown).
    team: int | None = None
    strong: bool = False
    #: A link within the report page (``"#lead-definition"``).
    href: str | None = None


Phrase = tuple[Segment, ...]

#: Message key -> template, per language. English is complete; others fall back to it.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        # cover and header
        "cover.title": "Sales and marketing alignment report",
        "cover.dates": "{opens} to {closes}",
        "cover.opened": "opened {opens}",
        "cover.responses": "{submitted} of {invited} invited people answered ({rate})",
        "cover.responses_no_invites": "{submitted} people answered",
        "cover.too_few": "Fewer than {threshold} people answered, so no result can be shown.",
        "cover.release": "Results release {number} of {date}",
        "cover.open_wave": "The wave is still open: answers given later appear in a later release.",
        "cover.threshold": (
            "Results are shown only for groups of at least {threshold} people, comments only for groups "
            "of at least {comment_threshold}; nobody's individual answers can be seen."
        ),
        "report.nothing": (
            "Too few people answered this wave for any result to be shown: fewer than {threshold} responses "
            "(the smallest group Mindgap reports, so that nobody's answers can be worked out)."
        ),
        # the decision
        "decision.heading": "The decision in one page",
        "headline.label": "alignment between sales and marketing (0–100)",
        "headline.interval": "95 % interval {low}–{high}",
        "headline.basis": (
            "Compares the {n_sales} people in sales and the {n_marketing} in marketing who belong to teams "
            "large enough to be shown on their own."
        ),
        "headline.meaning": (
            "100 means the two functions answer alike. At 80 they sit about half a standard deviation "
            "apart on average across the dimensions, at 62 a whole one."
        ),
        "headline.none": (
            "Sales and marketing cannot be compared in this wave: one of them has no team large enough "
            "to be shown."
        ),
        "change.up": "Up {change} points since {previous}",
        "change.down": "Down {change} points since {previous}",
        "change.same": "Unchanged since {previous}",
        "change.real": ": a change beyond chance (95 % interval {low} to {high}; p = {p}).",
        "change.chance": ": within what chance alone could produce (95 % interval {low} to {high}; p = {p}).",
        "change.first": "This is the first wave with results; the next one will show the change.",
        "functions.gap": (
            "Across sales and marketing as a whole, the clearest differences are on {dimensions}."
        ),
        "functions.item": "{dimension} (sales {sales}, marketing {marketing})",
        "gaps.heading.3": "The three gaps that matter most",
        "gaps.heading.n": "The gaps that matter most",
        "gaps.none": (
            "No gap between two teams is clear enough to act on in this wave: after allowing for the "
            "number of comparisons, every difference could be chance."
        ),
        "gap.title": "{team_a} and {team_b} see {dimension} differently.",
        "gap.detail": (
            "{higher} rates it {mean_high} and {lower} {mean_low} on the {scale} scale: a {size} gap "
            "(Hedges' g = {g}, adjusted p {p})."
        ),
        "gap.size.small": "small",
        "gap.size.medium": "medium",
        "gap.size.large": "large",
        "gap.statements": "They split most on these statements (average answer, {scale_labels}):",
        "gap.statement_means": "{team_a} {mean_a} · {team_b} {mean_b}",
        "gap.cause": "What it points to: {cause}.",
        "gap.action": "What to do: {title}. {action}",
        "gap.owners": "Who should own it: {team_a} and {team_b} together; {lead}.",
        "levels.heading": "Low for everyone",
        "level.title": "{dimension}: both functions see a problem.",
        "level.detail": "The organisation rates it {mean} on the {scale} scale, below the midpoint.",
        "level.owners": "Who should own it: the heads of sales and marketing together; {lead}.",
        "changes.heading": "What changed since {previous}",
        "changes.none": "No dimension changed beyond chance since {previous}.",
        "changes.rose": "{dimension} rose by {points} points of 100 ({before} → {after}, {scale} scale).",
        "changes.fell": "{dimension} fell by {points} points of 100 ({before} → {after}, {scale} scale).",
        "p.below": "< {value}",
        "p.equals": "= {value}",
        # sections
        "section.alignment": "Alignment between teams",
        "section.gaps": "Perception gaps between teams",
        "section.meta": "How each function sees itself, the other, and what it expects",
        "section.mindset": "Mindset profiles",
        "section.items": "Statement by statement",
        "section.trend": "What changed over the waves",
        "section.comments": "Comments",
        "section.teams": "Team reports",
        "appendix.heading": "Appendix: method and data quality",
        "appendix.intro": (
            "How the numbers were made and how far they can be trusted: who answered, how reliable "
            "each scale is, how much the members of a team agree, and which answers were left out."
        ),
        "appendix.responses": "Who answered",
        "appendix.reliability": "Reliability of the scales",
        "appendix.agreement": "Agreement within teams and differences between them",
        "appendix.quality": "Careless answers",
        "appendix.method": "How to read the statistics",
        # do sales and marketing read the statements alike (measurement invariance)
        "appendix.comparability": "Do sales and marketing read the statements the same way?",
        "comparability.intro": (
            "A difference between sales and marketing on a dimension is a difference in practice only if "
            "both read its statements the same way. For each dimension a factor model was fitted to both "
            "functions' answers and tested step by step: do the statements hang together alike, weigh "
            "alike, and start from the same point (measurement invariance)."
        ),
        "comparability.none": (
            "Not tested in this wave: the report compares sales and marketing only when both have members "
            "in the teams it shows."
        ),
        "caption.comparability": "Whether sales and marketing read each dimension's statements alike",
        "col.comparability": "Comparable?",
        "col.differs": "Statements read differently",
        "comparability.untested": "Not tested: {dimensions} — {reason}",
        "comparability.status.comparable": "Comparable",
        "comparability.status.partial": "Partly comparable",
        "comparability.status.not comparable": "Not comparable",
        "comparability.status.not tested": "Not tested",
        "comparability.reason.too_few_items": (
            "fewer than three of its statements were asked of both functions."
        ),
        "comparability.reason.too_few_respondents": (
            "too few respondents: each function needs at least {per_item} complete answers per statement "
            "and at least {threshold} people."
        ),
        "comparability.reason.unusable_data": (
            "the answers cannot carry the model (a statement everybody answered alike, or too little "
            "variation)."
        ),
        "comparability.reason.improper_solution": (
            "the model found no sound solution for these answers (it did not settle, or gave an impossible "
            "value)."
        ),
        "comparability.comparable": "Both functions read its statements alike.",
        "comparability.note": (
            "Partly comparable: the dimension still compares, but the statements listed weigh differently "
            "or start from a different point for the two functions; their single answers are not "
            "comparable. Not comparable: a difference on the dimension may be in the reading, not in the "
            "practice."
        ),
        "reading.not comparable": (
            "Sales and marketing read these statements differently, so this difference may be in the "
            "reading, not in the practice."
        ),
        "reading.partial": (
            "Sales and marketing read some of these statements differently ({statements}); the dimension "
            "still compares, but read those statements with care."
        ),
        "reading.marker": "†",
        "reading.table_note": (
            "† Sales and marketing read this dimension's statements differently, in part or in whole (see "
            "the appendix): the difference may be in the reading, not in the practice."
        ),
        "reading.functions": (
            "Read with care: {dimensions} — sales and marketing read these statements differently."
        ),
        "method.threshold": (
            "Groups smaller than {threshold} people are not shown, nor groups whose answers could be worked "
            "out by subtracting other groups' results; the people in them still count towards the "
            "organisation and their parent teams."
        ),
        "method.gaps": (
            "A gap between two teams is Hedges' g: the difference of their means in standard deviations "
            "(0.2 small, 0.5 medium, 0.8 large). It is called significant when its p-value, corrected for "
            "the number of comparisons (Benjamini–Hochberg, 5 %), stays below .05."
        ),
        "method.alignment": (
            "The alignment index of two teams is the average overlap of their answer distributions across "
            "the perception dimensions, from 0 to 100 (100: no difference)."
        ),
        "method.trend": (
            "Trends show every dimension as a percentage of its maximum score (0 = the lowest answer, "
            "100 = the highest), so that dimensions answered on different scales can be compared."
        ),
        "quality.text": (
            "{careless} of {submitted} responses looked careless (identical answers in long runs, no "
            "variation, or an extremely unusual pattern) and were left out; {analysed} were analysed."
        ),
        "quality.hidden": "Careless answers are counted only when the organisation itself can be shown.",
        "icc.not_estimable": "not estimable",
        "icc.note": (
            "ICC(1) is the share of the differences between people that lies between teams; ICC(2) is how "
            "reliable a team's mean is. ICC(2) is not estimable where ICC(1) is zero or below: the teams "
            "then differ no more than chance would make them, so their means are not reliable team "
            "scores."
        ),
        "reliability.low.alpha": "alpha below {cutoff}: read this dimension with care",
        "reliability.low.omega": "omega below {cutoff}: read this dimension with care",
        "reliability.low.both": "alpha and omega below {cutoff}: read this dimension with care",
        "reliability.not_computable": "not computable",
        "consensus.none": "no consensus",
        "note.below": "fewer than {threshold} responses",
        "note.complementary": "not shown, so that a smaller team cannot be worked out",
        "function.sales": "Sales",
        "function.marketing": "Marketing",
        "function.other": "Other",
        "organization": "Organisation",
        "alignment.index": "Sales–marketing alignment index",
        "quadrant.aligned, positive": "aligned and positive",
        "quadrant.aligned, critical": "aligned but critical",
        "quadrant.apart, positive": "apart, though positive",
        "quadrant.apart, critical": "apart and critical",
        "comparison.perception": "itself vs the other function's view",
        "comparison.meta_accuracy": "what it expects vs the other function's view",
        "first_rows": "The {shown} of {total} rows that matter most; all are in the Excel and CSV results.",
        "more_in_results": "Every pair and dimension is in the Excel and CSV results.",
        # tables
        "col.teams": "Teams",
        "col.alignment": "Alignment",
        "col.level": "Level",
        "col.quadrant": "Quadrant",
        "col.dimension": "Dimension",
        "col.means": "Teams and their means",
        "col.g": "Gap (g)",
        "col.g_interval": "95 % interval of g",
        "col.p_adjusted": "Adjusted p",
        "col.significant": "Significant",
        "col.function_rated": "Function rated",
        "col.self": "Rates itself",
        "col.other": "Rated by the other",
        "col.expected": "Expects",
        "col.g_self": "g, itself vs other",
        "col.g_expected": "g, expects vs other",
        "col.correlation": "Correlation",
        "col.distance": "Distance",
        "col.measure": "Measure",
        "col.change": "Change",
        "col.interval": "95 % interval",
        "col.p": "p",
        "col.beyond_chance": "Beyond chance",
        "col.team": "Team",
        "col.function": "Function",
        "col.invited": "Invited",
        "col.answered": "Answered",
        "col.rate": "Response rate",
        "col.note": "Note",
        "col.items": "Items",
        "col.alpha": "Cronbach's alpha",
        "col.omega": "McDonald's omega",
        "col.alpha_answered": "Alpha of one respondent's answers",
        "col.icc1": "ICC(1)",
        "col.icc2": "ICC(2)",
        "col.n_teams": "Teams",
        "col.team_mean": "Team mean",
        "col.org_mean": "Organisation mean",
        "col.difference": "Difference",
        "col.rwg": "Agreement rwg(j)",
        "col.other_team": "Other team",
        "col.this_team": "This team",
        "col.other_mean": "Other team",
        "col.statement": "Statement",
        "caption.pairs": "Alignment index per pair of teams, least aligned first (0–100)",
        "caption.gaps": (
            "The largest gaps between teams; ★: significant after correcting for the number of comparisons "
            "(Benjamini–Hochberg, 5 %)"
        ),
        "caption.means": (
            "Team means per dimension. “No consensus” marks a team whose members do not agree (rwg(j) "
            "below .70): its mean would suggest a shared view that is not there."
        ),
        "caption.part": "{caption} ({part} of {parts})",
        "caption.meta": (
            "How each function rates itself, how the other function rates it, and the rating it expects"
        ),
        "caption.similarity": (
            "Profile similarity between teams, least similar first (correlation of the profiles; distance "
            "in standard deviations)"
        ),
        "caption.trend": (
            "Change since {previous} (dimension means on their answer scale, the index in points); ★: p < .05"
        ),
        "caption.responses": "Response rates per team (a team includes the teams under it)",
        "caption.reliability": "Reliability of each dimension (.70 or more is usually taken as reliable)",
        "caption.reliability_short": (
            "Reliability of each dimension. This wave used the shorter form: each respondent answered "
            "{k} statements of each dimension, chosen at random. Alpha and omega are the whole scale's, "
            "from the statements answered together; the alpha of one respondent's answers is that of "
            "the shorter scores the results are made of (.70 or more is usually taken as reliable)"
        ),
        "caption.icc": "Share of variance between teams, ICC(1), and reliability of team means, ICC(2)",
        "caption.team_profile": "The team's mean per dimension next to the organisation's",
        "caption.team_gaps": (
            "The largest gaps between {team} and the other teams (Hedges' g); ★: significant after correction"
        ),
        "caption.team_alignment": "Alignment index with each other team, least aligned first",
        "interval": "{low} to {high}",
        "rate": "{value} %",
        "cover.wave": "Wave",
        "cover.responses_label": "Responses",
        "cover.results": "Results",
        "team.eyebrow_full": "{organization} · team report · {wave} · release {number}",
        # chart titles
        "title.quadrant": "Alignment quadrant: how good both teams think things are, how far apart they are",
        "title.gaps": "Perception gaps: {team_a} and {team_b}",
        "title.meta": "How each function sees itself, the other, and what it expects",
        "title.profiles": "Mindset profiles",
        "title.items": "Statement by statement: each team against the organisation mean",
        "title.items_page": "Statement by statement: each team against the organisation ({page} of {pages})",
        "title.agreement": "Agreement within teams, rwg(j), per dimension",
        "title.team_profile": "Mindset profile: {team} and the organisation",
        # figures (text alternatives)
        "figure.quadrant": (
            "Each dot is a pair of teams: across how good both think things are (level, left to right) "
            "and how close they are (alignment index, bottom to top). The numbered pairs are the least "
            "aligned: {pairs}."
        ),
        "figure.quadrant.headline": " The diamond is sales against marketing: {value} ({low}–{high}).",
        "figure.gaps": (
            "{team_a} and {team_b}, the pair of teams furthest apart: each team's mean per dimension with "
            "its 95 % interval, and the gap between them. {summary}"
        ),
        "figure.gaps.summary": "The significant gaps are on {dimensions}.",
        "figure.gaps.none": "None of the gaps is significant.",
        "figure.meta": (
            "For each function and dimension: how it rates itself, how the other function rates it, and "
            "how it expects to be rated. {summary}"
        ),
        "figure.meta.summary": "The widest spread is {target} on {dimension}.",
        "figure.profiles": (
            "Mean mindset score of {teams} on each mindset dimension, with the organisation's mean as a "
            "grey line.{more}"
        ),
        "figure.profiles.more": " The {shown} of {total} teams furthest from the organisation are drawn.",
        "figure.items": (
            "Each team's average on every statement, compared with the organisation's: purple means more "
            "favourable than the organisation, orange less (a statement worded negatively counts the other "
            "way round). {summary}"
        ),
        "figure.items.summary": "The largest departures: {items}.",
        "figure.items.item": "{team} on “{text}” ({difference})",
        "figure.agreement": (
            "How much the members of each team agree, per dimension (rwg(j), 1 = full agreement); below "
            ".70 a team has no consensus and its mean says little. {summary}"
        ),
        "figure.agreement.summary": "{count} team scores fall below .70.",
        "figure.trend": (
            "One small chart per measure, all on the same 0–100 axis: the sales–marketing alignment index, "
            "then each dimension as a percentage of its maximum score, with 95 % intervals. Waves: {waves}. "
            "A ring and * mark a change since the previous wave beyond chance."
        ),
        "figure.team_trend": (
            "One small chart per dimension for {team}, as a percentage of the maximum score (0–100), with "
            "95 % intervals. Waves: {waves}."
        ),
        "figure.team_profile": "{team}'s mean on each mindset dimension, and the organisation's (grey).",
        # team report
        "team.back": "Back to the organisation report",
        "team.summary": "Compared with the organisation, {team} rates {high} highest and {low} lowest.",
        "team.profile": "Profile against the organisation",
        "team.gaps": "Gaps to each other team",
        "team.trend": "Trend",
        "team.other_reports": "Other team reports",
        # what each team counts as a qualified lead (lead calibration)
        "section.lead_definition": "What each team counts as a qualified lead",
        "lead.intro": (
            "{n_a} people in {a} and {n_b} in {b} classified the same {vignettes} lead profiles. "
            "Lead-definition index: {index} of 100 (95 % interval {interval}); 100 would mean the two teams "
            "judge every profile alike, on the same scale as the alignment index."
        ),
        "lead.too_few": (
            "Fewer than {threshold} people in {a} or in {b} classified the lead profiles, so this section "
            "shows no result."
        ),
        "lead.differs": "{function} gives more weight to {attributes}.",
        "lead.no_splits": "No lead profile splits {a} and {b} beyond chance.",
        "lead.definition": (
            "A draft lead definition, from the criteria {a} and {b} already both use — the starting point of "
            "the hand-over agreement:"
        ),
        "lead.no_definition": (
            "{a} and {b} share no criterion clearly enough yet for a draft lead definition: start the "
            "hand-over agreement by agreeing the attributes in the table above."
        ),
        "lead.to_agree": "Still to agree between the teams: {attributes}.",
        "lead.weighs_more": "{function} weighs it more",
        "lead.status.agreed": "Both weigh it alike",
        "lead.status.unclear": "Not clear",
        "lead.weights_note": (
            "Share: how much of a team's judgement of a lead the attribute decides (each team's shares "
            "add up to 100 %)."
        ),
        "lead.name": "Lead {number} of {total}",
        "lead.see": "Start from the draft lead definition in {section}.",
        "caption.lead_weights": "What decides whether a lead is ready for sales, in {a} and in {b}",
        "caption.lead_splits": "The lead profiles the teams judge most differently",
        "col.attribute": "Attribute",
        "col.share": "{function}: share",
        "col.verdict": "Between the teams",
        "col.lead": "Lead",
        "col.profile": "Profile",
        "col.ready": "{function}: ready for sales",
        # the lead-definition index among the alignment measures
        "definition.index": "Lead-definition index",
        "caption.measures": "Sales and marketing on each alignment measure (0–100)",
        "col.basis": "Based on",
        "measures.alignment": (
            "{dimensions} perception dimensions; {n_sales} people in sales, {n_marketing} in marketing"
        ),
        "measures.definition": (
            "{vignettes} lead profiles judged by {n_sales} people in sales and {n_marketing} in marketing"
        ),
        "measures.too_few": "Fewer than {threshold} people in sales or in marketing judged the lead profiles",
        "measures.note": (
            "The alignment index compares how the two functions rate the joint system; the lead-definition "
            "index how alike they judge the same lead profiles (see {section})."
        ),
        "functions.definition": (
            "Judging the same lead profiles, sales and marketing reach a lead-definition index of {index} of "
            "100 (95 % interval {interval})."
        ),
        "figure.trend.definition": (
            " The lead-definition index, from the lead profiles, follows the alignment index."
        ),
    },
}

#: The cause each cause code stands for, as a reader understands it (``shared/DOMAIN.md``).
CAUSE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "definitions": "no shared vocabulary: “lead”, “qualified lead” and “customer” mean different "
        "things to each team",
        "handover": "no agreed hand-over: nobody knows when a prospect becomes sales' responsibility, so "
        "follow-up is patchy",
        "goals": "different goals and measures, with marketing's targets not linked to revenue",
        "incentives": "incentives that reward each team for its own number",
        "plan": "no shared plan: asked what the business does and whom it targets, each team answers "
        "differently",
        "target_customer": "no shared target customer: the teams aim at different buyers",
        "lead_quality": "lead quality judged differently, and quantity rewarded over quality",
        "feedback": "no feedback loop: sales does not tell marketing what became of its leads",
        "data_systems": "customer data and marketing systems that are not connected",
        "lifecycle": "a relationship with the customer that ends at the sale",
        "mindsets": "differences in how the two professions think, assumed rather than understood",
        "blame": "a habit of blaming the other team instead of owning problems jointly",
    }
}

#: Cause code -> (short imperative title, what aligned organisations do).
PRACTICES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "definitions": (
            "Write down what a lead is",
            "Agree written definitions of each lead stage (for example enquiry, marketing-qualified, "
            "sales-accepted) and name which team owns a prospect at every stage.",
        ),
        "plan": (
            "Make one plan both teams can state",
            "Work out one plan for the year: what the company sells, to whom and with which priorities, and "
            "check that people in both teams describe it the same way.",
        ),
        "target_customer": (
            "Describe the ideal customer together",
            "Draft a shared ideal-customer profile and personas (industry, size, the decision-makers to "
            "reach) and use the same description for campaigns and for prospecting.",
        ),
        "goals": (
            "Derive both teams' targets from revenue",
            "Set joint targets backwards from revenue: the close rate gives the pipeline needed, the "
            "pipeline the number of qualified leads, so both teams answer for the same figures.",
        ),
        "incentives": (
            "Reward joint results",
            "Tie part of both teams' bonuses and recognition to shared outcomes such as pipeline converted "
            "or revenue from marketing-sourced leads, not only to each team's own number.",
        ),
        "lead_quality": (
            "Score leads in a way both teams trust",
            "Build a lead-scoring model together, review it against won and lost deals, and reward lead "
            "quality rather than lead volume.",
        ),
        "handover": (
            "Agree the hand-over in a service-level agreement",
            "Fix the point at which a lead passes to sales and what follows: how fast sales responds, how "
            "many attempts it makes, and when an unworked lead goes back to marketing.",
        ),
        "feedback": (
            "Close the feedback loop",
            "Hold a regular joint review in which sales reports what happened to the leads it received and "
            "marketing reports what it is planning, with the same pipeline report in front of both.",
        ),
        "data_systems": (
            "Build one view of the customer",
            "Connect the CRM and the marketing tools so that both teams see the same record of each "
            "customer, its history and its stage.",
        ),
        "lifecycle": (
            "Hand customers back after the sale",
            "Agree how customers return to marketing after the sale for onboarding, loyalty and referral "
            "programmes, and who keeps in touch with them.",
        ),
        "mindsets": (
            "Learn how the other team works",
            "Let people shadow the other team, rotate into joint projects and share the pressures and "
            "measures each team works under, so differences are known rather than assumed.",
        ),
        "blame": (
            "Own problems jointly",
            "Review missed targets together and look for causes in the shared process rather than in the "
            "other team; agree who fixes what and report back.",
        ),
    }
}

#: Cause code -> who leads the practice, beyond the teams where the gap lies.
OWNERS: dict[str, dict[str, str]] = {
    "en": {
        "definitions": "the heads of sales and marketing sign the definitions off",
        "plan": "the sales and marketing directors, with whoever owns the company plan",
        "target_customer": "the sales and marketing directors agree the profile",
        "goals": "the sales and marketing directors set the targets, with finance",
        "incentives": "the sales and marketing directors, with HR",
        "lead_quality": "marketing operations and the sales managers build the scoring together",
        "handover": "the heads of sales and marketing sign the agreement and sales operations tracks it",
        "feedback": "the sales and marketing managers run the review",
        "data_systems": "sales and marketing operations, with IT",
        "lifecycle": "the account managers and marketing agree the hand-back",
        "mindsets": "the team leads arrange the exchanges",
        "blame": "the sales and marketing directors, who set the example",
    }
}


def _table(tables: dict, language: str) -> dict:
    return tables.get(language) or tables["en"]


def message(language: str, key: str) -> str:
    """The template of ``key`` in ``language``, or in English where it has none."""
    return _table(MESSAGES, language).get(key) or MESSAGES["en"][key]


def lookup(tables: dict, language: str, key: str):
    """An entry of one of the cause tables in ``language``, or in English."""
    return _table(tables, language).get(key, tables["en"].get(key))


_FIELD = re.compile(r"\{(\w+)\}")


def phrase(language: str, key: str, **values) -> Phrase:
    """Message ``key`` with its ``{fields}`` filled: a tuple of :class:`Segment` s.

    A value may be a :class:`Segment` (a linked team name, a bold number), a phrase (a
    tuple of segments) or anything else, which is shown as ``str(value)``.
    """
    parts = _FIELD.split(message(language, key))
    out: list[Segment] = []
    for position, part in enumerate(parts):
        if position % 2 == 0:
            if part:
                out.append(Segment(part))
            continue
        value = values[part]
        if isinstance(value, Segment):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(value)
        else:
            out.append(Segment(str(value)))
    return tuple(out)


def say(language: str, key: str, **values) -> str:
    """Message ``key`` with its fields filled, as plain text."""
    return plain(phrase(language, key, **values))


def plain(parts: Phrase) -> str:
    """A phrase as plain text."""
    return "".join(segment.text for segment in parts)


def join(language: str, items: list) -> tuple:
    """Phrases or texts joined as a list is read: "a, b and c"."""
    word = {"de": " und "}.get(language, " and ")
    items = [item if isinstance(item, tuple) else (Segment(str(item)),) for item in items]
    out: list[Segment] = []
    for position, item in enumerate(items):
        if position:
            out.append(Segment(word if position == len(items) - 1 else ", "))
        out.extend(item)
    return tuple(out)


def number(value, digits: int = 2, language: str = "en", sign: bool = False) -> str:
    """A number for people: fixed decimals, a real minus sign, a dash for a missing value."""
    if value is None:
        return "–"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(value):
        return "–"
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    if text.lstrip("+-").strip("0.,") == "":
        text = text.lstrip("+-")  # no "−0.00"
    text = text.replace("-", "\u2212")
    return text.replace(".", ",") if language == "de" else text
